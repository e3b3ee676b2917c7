package dev.kodiak.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.kodiak.server.grpc.GRPCInferenceServiceGrpc;
import dev.kodiak.server.grpc.InferParameter;
import dev.kodiak.server.grpc.InferTensorContents;
import dev.kodiak.server.grpc.ModelInferRequest;
import dev.kodiak.server.grpc.ModelInferResponse;
import dev.kodiak.server.grpc.ModelMetadataRequest;
import dev.kodiak.server.grpc.ModelMetadataResponse;
import dev.kodiak.server.grpc.ModelReadyRequest;
import dev.kodiak.server.grpc.ModelReadyResponse;
import dev.kodiak.server.grpc.ModelRepositoryParameter;
import dev.kodiak.server.grpc.RepositoryIndexRequest;
import dev.kodiak.server.grpc.RepositoryIndexResponse;
import dev.kodiak.server.grpc.RepositoryModelLoadRequest;
import dev.kodiak.server.grpc.RepositoryModelLoadResponse;
import dev.kodiak.server.grpc.RepositoryModelUnloadRequest;
import dev.kodiak.server.grpc.RepositoryModelUnloadResponse;
import dev.kodiak.server.grpc.ServerLiveRequest;
import dev.kodiak.server.grpc.ServerLiveResponse;
import dev.kodiak.server.grpc.ServerMetadataRequest;
import dev.kodiak.server.grpc.ServerMetadataResponse;
import dev.kodiak.server.grpc.ServerReadyRequest;
import dev.kodiak.server.grpc.ServerReadyResponse;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * The Open Inference Protocol v2 over gRPC ({@code inference.GRPCInferenceService}, the service
 * tritonclient.grpc and KServe's clients call), on the HTTP port: health, server and model
 * metadata, inference, and the model repository extension. It answers as {@link OipService}
 * does over REST, and both hand inference to {@link OipInference}; this class only translates
 * messages and refusals.
 *
 * <p>Inputs come in {@code raw_input_contents} (one entry per input, as clients send them) or
 * in each input's typed {@code contents} ({@code bytes_contents} for {@code BYTES},
 * {@code fp32_contents} for {@code FP32}), never both; outputs always go back in
 * {@code raw_output_contents}, one entry per output. The classification extension is the output
 * parameter {@code classification} as {@code int64_param}. The routing key is the metadata
 * {@code kodiak-routing-key}; a client's deadline shorter than the server's request timeout is
 * the request's deadline. {@code ModelStreamInfer} answers {@code UNIMPLEMENTED}.
 *
 * <p>The repository RPCs are guarded as the REST routes are: closed ({@code PERMISSION_DENIED})
 * unless {@code kodiak.admin.enabled}; on the main port they need the metadata
 * {@code authorization: Bearer <kodiak.admin.token>} ({@code UNAUTHENTICATED} without it);
 * with {@code kodiak.admin.port} they are served only on that port, which serves nothing else.
 *
 * <p>Handlers report every failure through {@code onError}, mapped by
 * {@link GrpcGuard#status}. Thread-safe.
 */
final class OipGrpcService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
    private final ModelManager models;
    private final OipInference inference;
    private final BodyReader bodies;
    private final List<String> extensions;
    private final Duration requestTimeout;
    private final String repositoryClosed;
    private final byte[] token;
    private final boolean admin;

    private OipGrpcService(ModelManager models, OipInference inference, BodyReader bodies,
            List<String> extensions, Duration requestTimeout, String repositoryClosed,
            String token, boolean admin) {
        this.models = models;
        this.inference = inference;
        this.bodies = bodies;
        this.extensions = List.copyOf(extensions);
        this.requestTimeout = requestTimeout;
        this.repositoryClosed = repositoryClosed;
        this.token = token == null || token.isEmpty() ? null
                : token.getBytes(StandardCharsets.UTF_8);
        this.admin = admin;
    }

    /**
     * The service of the main port.
     *
     * @param models the served models
     * @param inference runs inference requests
     * @param bodies the memory budget requests share with HTTP bodies
     * @param extensions the extensions served, for the server's metadata
     * @param requestTimeout the server's deadline of one request
     * @param repositoryClosed why the repository RPCs are refused here, or null when they are
     *     served here
     * @param token the token the repository RPCs ask for, when they are served here
     * @return the service
     */
    static OipGrpcService main(ModelManager models, OipInference inference, BodyReader bodies,
            List<String> extensions, Duration requestTimeout, String repositoryClosed,
            String token) {
        return new OipGrpcService(models, inference, bodies, extensions, requestTimeout,
                repositoryClosed, token, false);
    }

    /**
     * The service of the admin port: the repository RPCs only.
     *
     * @param models the served models
     * @param token the token they ask for, or empty for none
     * @return the service
     */
    static OipGrpcService admin(ModelManager models, String token) {
        return new OipGrpcService(models, null, null, List.of(), Duration.ZERO, null, token,
                true);
    }

    /**
     * The service as the server registers it: its messages parsed inside {@link GrpcGuard}
     * (see there why), with the caller's metadata in each call's context.
     *
     * @param maxMessageBytes the largest message ({@code kodiak.limits.max-body-bytes})
     * @param metrics where calls are counted
     * @return the service's definition
     */
    ServerServiceDefinition definition(long maxMessageBytes, ServerMetrics metrics) {
        return GrpcGuard.guarded(this, maxMessageBytes, metrics);
    }

    /** Runs a handler's work and sends its answer, or its failure as a status. */
    private static <T> void answer(StreamObserver<T> observer, Supplier<T> work) {
        T response;
        try {
            response = work.get();
        } catch (RuntimeException e) {
            observer.onError(GrpcGuard.status(e));
            return;
        }
        observer.onNext(response);
        observer.onCompleted();
    }

    /** On the admin port, only the repository is served. */
    private void inferenceHere() {
        if (admin) {
            throw Status.UNIMPLEMENTED.withDescription("This port (kodiak.admin.port) serves "
                    + "only the model repository RPCs; call the server's main port")
                    .asRuntimeException();
        }
    }

    /** {@inheritDoc} */
    @Override
    public void serverLive(ServerLiveRequest request,
            StreamObserver<ServerLiveResponse> observer) {
        answer(observer, () -> {
            inferenceHere();
            return ServerLiveResponse.newBuilder().setLive(true).build();
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>Over gRPC "not ready" is an answer, {@code ready: false}, as Triton gives it; over
     * REST it is a 503.
     */
    @Override
    public void serverReady(ServerReadyRequest request,
            StreamObserver<ServerReadyResponse> observer) {
        answer(observer, () -> {
            inferenceHere();
            return ServerReadyResponse.newBuilder().setReady(models.ready()).build();
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code NOT_FOUND} for an unknown model or version; a known version that does not
     * serve is {@code ready: false}.
     */
    @Override
    public void modelReady(ModelReadyRequest request,
            StreamObserver<ModelReadyResponse> observer) {
        answer(observer, () -> {
            inferenceHere();
            ServedModel model = models.require(required(request.getName(), "name"));
            return ModelReadyResponse.newBuilder().setReady(OipInference.ready(model,
                    version(request.getVersion()))).build();
        });
    }

    /** {@inheritDoc} */
    @Override
    public void serverMetadata(ServerMetadataRequest request,
            StreamObserver<ServerMetadataResponse> observer) {
        answer(observer, () -> {
            inferenceHere();
            return ServerMetadataResponse.newBuilder().setName(OipService.NAME)
                    .setVersion(OipService.version()).addAllExtensions(extensions).build();
        });
    }

    /** {@inheritDoc} */
    @Override
    public void modelMetadata(ModelMetadataRequest request,
            StreamObserver<ModelMetadataResponse> observer) {
        answer(observer, () -> {
            inferenceHere();
            ServedModel model = models.require(required(request.getName(), "name"));
            OipInference.Metadata m = inference.metadata(model, version(request.getVersion()));
            List<Long> tensorShape = new ArrayList<>();
            for (long d : m.tensorShape()) {
                tensorShape.add(d);
            }
            return ModelMetadataResponse.newBuilder().setName(m.name())
                    .addAllVersions(m.versions()).setPlatform(m.platform())
                    .addInputs(tensor(OipInference.IMAGE, "BYTES", List.of(-1L)))
                    .addInputs(tensor(OipInference.TENSOR, "FP32", tensorShape))
                    .addOutputs(tensor(OipInference.PROBABILITIES, "FP32",
                            List.of(-1L, (long) m.labels())))
                    .build();
        });
    }

    private static ModelMetadataResponse.TensorMetadata tensor(String name, String type,
            List<Long> shape) {
        return ModelMetadataResponse.TensorMetadata.newBuilder().setName(name)
                .setDatatype(type).addAllShape(shape).build();
    }

    /** {@inheritDoc} */
    @Override
    public void modelInfer(ModelInferRequest request,
            StreamObserver<ModelInferResponse> observer) {
        answer(observer, () -> {
            inferenceHere();
            GrpcCaller caller = GrpcCaller.current();
            long serverDeadline = System.nanoTime() + requestTimeout.toNanos();
            long deadline = caller.deadlineWithin(serverDeadline);
            String name = required(request.getModelName(), "model_name");
            models.require(name);
            int version = version(request.getModelVersion());
            // the message is in memory already; its copies are reserved as they are made
            try (BodyReader.Reservation memory = bodies.hold(request.getSerializedSize())) {
                OipInference.Request r = read(request, name, version, caller.routingKey(),
                        memory::grow);
                try {
                    return write(inference.infer(r, deadline));
                } catch (ApiException e) {
                    if (deadline != serverDeadline && e.code().equals("DEADLINE_EXCEEDED")) {
                        throw Status.DEADLINE_EXCEEDED.withDescription("No answer within the "
                                + "client's deadline").asRuntimeException();
                    }
                    throw e;
                }
            }
        });
    }

    /**
     * Decodes an inference request.
     *
     * @param request the message
     * @param name the model's name
     * @param version the version asked for, 0 for none
     * @param routingKey the routing key, or null
     * @param reserve called with the bytes about to be copied (may refuse: 503)
     * @return the request
     * @throws ApiException 400 naming what is malformed
     */
    static OipInference.Request read(ModelInferRequest request, String name, int version,
            String routingKey, LongConsumer reserve) {
        int raw = request.getRawInputContentsCount();
        if (raw > 0 && raw != request.getInputsCount()) {
            throw ApiException.badRequest("INVALID_INPUT", "raw_input_contents has " + raw
                    + " entries but the request has " + request.getInputsCount() + " inputs; "
                    + "give one entry per input, in the order of inputs");
        }
        List<OipInference.Tensor> inputs = new ArrayList<>();
        for (int i = 0; i < request.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor in = request.getInputs(i);
            if (raw > 0 && in.hasContents()) {
                throw ApiException.badRequest("INVALID_INPUT", "Input '" + in.getName()
                        + "' sets contents while the request has raw_input_contents; give "
                        + "every input's data one way: raw_input_contents or contents");
            }
            String type = in.getDatatype().toUpperCase(Locale.ROOT);
            long[] shape = shape(in);
            if (type.equals("BYTES")) {
                List<byte[]> elements;
                if (raw > 0) {
                    elements = OipTensors.elements(in.getName(), request.getRawInputContents(i)
                            .asReadOnlyByteBuffer(), reserve);
                } else {
                    onlyTyped(in, "bytes_contents", in.getContents().getBytesContentsCount());
                    elements = new ArrayList<>();
                    for (ByteString b : in.getContents().getBytesContentsList()) {
                        reserve.accept(b.size());
                        elements.add(b.toByteArray());
                    }
                }
                inputs.add(new OipInference.Tensor(in.getName(), type, shape, elements, null));
            } else if (type.equals("FP32")) {
                float[] values;
                if (raw > 0) {
                    values = OipTensors.floats(in.getName(), request.getRawInputContents(i)
                            .asReadOnlyByteBuffer(), reserve);
                } else {
                    InferTensorContents c = in.getContents();
                    onlyTyped(in, "fp32_contents", c.getFp32ContentsCount());
                    reserve.accept(4L * c.getFp32ContentsCount());
                    values = new float[c.getFp32ContentsCount()];
                    for (int j = 0; j < values.length; j++) {
                        values[j] = c.getFp32Contents(j);
                    }
                    OipTensors.finite(in.getName(), values);
                }
                inputs.add(new OipInference.Tensor(in.getName(), type, shape, null, values));
            } else {
                throw ApiException.badRequest("INVALID_INPUT", "Input '" + in.getName() + "' is "
                        + in.getDatatype() + "; Kodiak's models take BYTES (image files) or FP32 "
                        + "(preprocessed tensors)");
            }
        }
        List<OipInference.Wanted> outputs = new ArrayList<>();
        for (ModelInferRequest.InferRequestedOutputTensor out : request.getOutputsList()) {
            outputs.add(new OipInference.Wanted(out.getName(), classification(out), true));
        }
        return new OipInference.Request(name, version, request.getId(), inputs, outputs, true,
                routingKey);
    }

    private static long[] shape(ModelInferRequest.InferInputTensor in) {
        if (in.getShapeCount() > 8) {
            throw ApiException.badRequest("INVALID_INPUT", "A shape has at most 8 dimensions");
        }
        long[] shape = new long[in.getShapeCount()];
        for (int d = 0; d < shape.length; d++) {
            shape[d] = in.getShape(d);
            if (shape[d] < 0) {
                throw ApiException.badRequest("INVALID_INPUT", "A shape's dimensions are 0 or "
                        + "more, not " + shape[d]);
            }
        }
        return shape;
    }

    /** Typed contents in a field other than the datatype's are a mistake worth naming. */
    private static void onlyTyped(ModelInferRequest.InferInputTensor in, String field,
            int count) {
        InferTensorContents c = in.getContents();
        int all = c.getBoolContentsCount() + c.getIntContentsCount() + c.getInt64ContentsCount()
                + c.getUintContentsCount() + c.getUint64ContentsCount()
                + c.getFp32ContentsCount() + c.getFp64ContentsCount()
                + c.getBytesContentsCount();
        if (all != count) {
            throw ApiException.badRequest("INVALID_INPUT", "Input '" + in.getName() + "' is "
                    + in.getDatatype() + ": give its elements in contents." + field + " (or in "
                    + "raw_input_contents), not in another of contents' fields");
        }
    }

    /** The classification extension's count: int64_param, as Triton reads it. */
    private static int classification(ModelInferRequest.InferRequestedOutputTensor out) {
        InferParameter p = out.getParametersMap().get("classification");
        if (p == null) {
            return 0;
        }
        if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.INT64_PARAM) {
            throw ApiException.badRequest("INVALID_OUTPUT", "Output '" + out.getName()
                    + "': the classification parameter is an int64_param, not "
                    + p.getParameterChoiceCase().name().toLowerCase(Locale.ROOT));
        }
        long k = p.getInt64Param();
        if (k < 1 || k > 1_000_000) {
            throw ApiException.badRequest("INVALID_OUTPUT", "classification must be a count "
                    + "from 1, not " + k);
        }
        return (int) k;
    }

    /**
     * Encodes an answer: every output's data in {@code raw_output_contents}.
     *
     * @param response the answer
     * @return the message
     */
    static ModelInferResponse write(OipInference.Response response) {
        ModelInferResponse.Builder b = ModelInferResponse.newBuilder()
                .setModelName(response.model().name())
                .setModelVersion(response.model().versionText())
                .setId(response.id())
                .putParameters("precision", InferParameter.newBuilder()
                        .setStringParam(response.precision()).build());
        for (OipInference.Output o : response.outputs()) {
            ModelInferResponse.InferOutputTensor.Builder t = ModelInferResponse.InferOutputTensor
                    .newBuilder().setName(o.name()).setDatatype(o.datatype());
            for (long d : o.shape()) {
                t.addShape(d);
            }
            b.addOutputs(t);
            // the arrays are new and never written again: no need to copy them
            b.addRawOutputContents(UnsafeByteOperations.unsafeWrap(o.floats() != null
                    ? OipTensors.floats(o.floats()) : OipTensors.serialize(o.bytes())));
        }
        return b.build();
    }

    /** {@inheritDoc} */
    @Override
    public void repositoryIndex(RepositoryIndexRequest request,
            StreamObserver<RepositoryIndexResponse> observer) {
        answer(observer, () -> {
            admit();
            oneRepository(request.getRepositoryName());
            RepositoryIndexResponse.Builder b = RepositoryIndexResponse.newBuilder();
            for (ModelManager.IndexEntry e : models.index(request.getReady())) {
                b.addModels(RepositoryIndexResponse.ModelIndex.newBuilder().setName(e.name())
                        .setVersion(e.version()).setState(e.state()).setReason(e.reason()));
            }
            return b.build();
        });
    }

    /** {@inheritDoc} */
    @Override
    public void repositoryModelLoad(RepositoryModelLoadRequest request,
            StreamObserver<RepositoryModelLoadResponse> observer) {
        answer(observer, () -> {
            admit();
            oneRepository(request.getRepositoryName());
            loadParameters(request.getParametersMap());
            models.load(required(request.getModelName(), "model_name"));
            return RepositoryModelLoadResponse.getDefaultInstance();
        });
    }

    /** {@inheritDoc} */
    @Override
    public void repositoryModelUnload(RepositoryModelUnloadRequest request,
            StreamObserver<RepositoryModelUnloadResponse> observer) {
        answer(observer, () -> {
            admit();
            oneRepository(request.getRepositoryName());
            models.unload(required(request.getModelName(), "model_name"));
            return RepositoryModelUnloadResponse.getDefaultInstance();
        });
    }

    /** The repository RPCs' guard, as {@link AdminService}'s for the REST routes. */
    private void admit() {
        if (repositoryClosed != null) {
            throw new ApiException(io.helidon.http.Status.FORBIDDEN_403, "ADMIN_CLOSED",
                    repositoryClosed);
        }
        if (token != null) {
            String given = GrpcCaller.current().authorization();
            byte[] presented = given != null && given.startsWith("Bearer ")
                    ? given.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
            if (!MessageDigest.isEqual(presented, token)) {
                throw new ApiException(io.helidon.http.Status.UNAUTHORIZED_401, "UNAUTHORIZED",
                        "This call needs the metadata authorization: Bearer "
                        + "<kodiak.admin.token>");
            }
        }
    }

    private static void oneRepository(String name) {
        if (!name.isEmpty()) {
            throw ApiException.badRequest("INVALID_REQUEST", "Kodiak has one model repository; "
                    + "leave repository_name empty, not '" + name + "'");
        }
    }

    private static void loadParameters(Map<String, ModelRepositoryParameter> parameters) {
        for (String key : parameters.keySet()) {
            if (key.equals("config") || key.startsWith("file:")) {
                throw ApiException.badRequest("UNSUPPORTED_PARAMETER", "Load parameter '" + key
                        + "' (Triton's model configuration and files) is not supported: put "
                        + "the bundle in the model repository and load it");
            }
        }
    }

    private static String required(String value, String field) {
        if (value.isEmpty()) {
            throw ApiException.badRequest("INVALID_REQUEST", field + " is required");
        }
        return value;
    }

    /** A version as the protocol writes it: empty for the model's choice. */
    private static int version(String text) {
        return text.isEmpty() ? 0 : ClassifyService.version(text);
    }
}
