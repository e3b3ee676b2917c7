package dev.kodiak.server;

import static dev.kodiak.server.OipGrpcClient.code;
import static dev.kodiak.server.OipGrpcClient.failure;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;

import com.google.protobuf.ByteString;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.server.grpc.GRPCInferenceServiceGrpc;
import dev.kodiak.server.grpc.InferParameter;
import dev.kodiak.server.grpc.InferTensorContents;
import dev.kodiak.server.grpc.ModelInferRequest;
import dev.kodiak.server.grpc.ModelInferResponse;
import dev.kodiak.server.grpc.ModelMetadataRequest;
import dev.kodiak.server.grpc.ModelMetadataResponse;
import dev.kodiak.server.grpc.ModelReadyRequest;
import dev.kodiak.server.grpc.ModelRepositoryParameter;
import dev.kodiak.server.grpc.RepositoryIndexRequest;
import dev.kodiak.server.grpc.RepositoryIndexResponse;
import dev.kodiak.server.grpc.RepositoryModelLoadRequest;
import dev.kodiak.server.grpc.RepositoryModelUnloadRequest;
import dev.kodiak.server.grpc.ServerLiveRequest;
import dev.kodiak.server.grpc.ServerMetadataRequest;
import dev.kodiak.server.grpc.ServerMetadataResponse;
import dev.kodiak.server.grpc.ServerReadyRequest;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Open Inference Protocol v2 over gRPC ({@code inference.GRPCInferenceService}), from the
 * published specification and the service definition clients are generated from, called as
 * tritonclient.grpc calls it: a plain text channel to the server's HTTP port, data in
 * {@code raw_input_contents}. Every RPC, both encodings of both inputs, the classification
 * extension, batches, bad input and its status codes, the size limit, the repository RPCs
 * closed and open, and HTTP/1.1 still answering on the same port. Answers are compared,
 * probability by probability, with classifier-core's on the same images.
 */
class OipGrpcTest {
    static final String TOKEN = "grpc-test-token-0123456789";
    static TestServer server;
    static OipGrpcClient client;
    static Classifier fashion;
    static byte[] shirt;
    static byte[] boot;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of());
        client = new OipGrpcClient(server.port());
        fashion = Classifier.open(Fixtures.root().resolve("models/fashion-mnist"));
        shirt = Fixtures.image("png-gray8.png").bytes();
        boot = Fixtures.image("jpeg-444.jpg").bytes();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        server.close();
        fashion.close();
    }

    private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub() {
        return client.stub();
    }

    /** Every label's probability from classifier-core, the reference. */
    private static float[] expected(byte[] image) throws Exception {
        float[] p = new float[fashion.manifest().labels().size()];
        fashion.classify(image, new dev.kodiak.core.topk.TopKOptions(p.length, 0f, Set.of()))
                .predictions().forEach(x -> p[x.index()] = x.probability());
        return p;
    }

    private static void assertProbabilities(float[] actual, List<byte[]> images)
            throws Exception {
        int labels = fashion.manifest().labels().size();
        assertThat(actual.length, is(images.size() * labels));
        for (int i = 0; i < images.size(); i++) {
            float[] want = expected(images.get(i));
            for (int j = 0; j < labels; j++) {
                assertThat("image " + i + " label " + j, (double) actual[i * labels + j],
                        closeTo(want[j], 1e-6));
            }
        }
    }

    /** The model's input for an image, as classifier-core makes it. */
    private static float[] tensor(byte[] image) throws Exception {
        return fashion.stages().preprocessor().apply(fashion.stages().decoder().decode(image,
                fashion.manifest().input().color()));
    }

    private static StatusRuntimeException refused(Supplier<?> call, Status.Code want,
            String message) {
        StatusRuntimeException e = failure(call);
        assertThat(e.getStatus().toString(), code(e), is(want));
        assertThat(e.getStatus().getDescription(), containsString(message));
        return e;
    }

    @Test
    void healthAndServerMetadata() {
        assertThat(stub().serverLive(ServerLiveRequest.getDefaultInstance()).getLive(),
                is(true));
        assertThat(stub().serverReady(ServerReadyRequest.getDefaultInstance()).getReady(),
                is(true));
        ServerMetadataResponse m = stub().serverMetadata(
                ServerMetadataRequest.getDefaultInstance());
        assertThat(m.getName(), is("kodiak"));
        assertThat(m.getVersion().isEmpty(), is(false));
        assertThat(m.getExtensionsList(), hasItems("binary_tensor_data", "classification"));
        assertThat("closed unless the admin routes are enabled", m.getExtensionsList(),
                not(hasItem("model_repository")));
    }

    @Test
    void modelReadyAndMetadata() {
        for (String version : List.of("", "1")) {
            assertThat(stub().modelReady(ModelReadyRequest.newBuilder().setName("fashion-mnist")
                    .setVersion(version).build()).getReady(), is(true));
            ModelMetadataResponse m = stub().modelMetadata(ModelMetadataRequest.newBuilder()
                    .setName("fashion-mnist").setVersion(version).build());
            assertThat(m.getName(), is("fashion-mnist"));
            assertThat(m.getVersionsList(), is(List.of("1")));
            assertThat(m.getPlatform(), is("onnxruntime_onnx"));
            assertThat(m.getInputs(0).getName(), is("image"));
            assertThat(m.getInputs(0).getDatatype(), is("BYTES"));
            assertThat(m.getInputs(0).getShapeList(), is(List.of(-1L)));
            assertThat(m.getInputs(1).getName(), is("input"));
            assertThat(m.getInputs(1).getDatatype(), is("FP32"));
            assertThat(m.getInputs(1).getShapeList(), is(List.of(-1L, 1L, 28L, 28L)));
            assertThat(m.getOutputs(0).getName(), is("probabilities"));
            assertThat(m.getOutputs(0).getDatatype(), is("FP32"));
            assertThat(m.getOutputs(0).getShapeList(), is(List.of(-1L, 10L)));
        }
        refused(() -> stub().modelReady(ModelReadyRequest.newBuilder().setName("nope").build()),
                Status.Code.NOT_FOUND, "No model named 'nope'");
        refused(() -> stub().modelReady(ModelReadyRequest.newBuilder().setName("fashion-mnist")
                .setVersion("9").build()), Status.Code.NOT_FOUND, "has no version 9");
        refused(() -> stub().modelMetadata(ModelMetadataRequest.newBuilder().setName("nope")
                .build()), Status.Code.NOT_FOUND, "No model named 'nope'");
        refused(() -> stub().modelMetadata(ModelMetadataRequest.newBuilder()
                .setName("fashion-mnist").setVersion("2").build()), Status.Code.NOT_FOUND,
                "has no version 2");
        refused(() -> stub().modelMetadata(ModelMetadataRequest.newBuilder()
                .setName("fashion-mnist").setVersion("x").build()), Status.Code.NOT_FOUND,
                "positive integers");
    }

    @Test
    void rawImageFilesInABatch() throws Exception {
        List<byte[]> images = List.of(shirt, boot, shirt);
        for (String version : List.of("", "1")) {
            ModelInferResponse r = stub().modelInfer(OipGrpcClient.images("fashion-mnist",
                    images).setModelVersion(version).setId("req-7").build());
            assertThat(r.getModelName(), is("fashion-mnist"));
            assertThat(r.getModelVersion(), is("1"));
            assertThat(r.getId(), is("req-7"));
            assertThat(r.getOutputsCount(), is(1));
            assertThat("one raw entry per output", r.getRawOutputContentsCount(), is(1));
            assertThat(r.getOutputs(0).getName(), is("probabilities"));
            assertThat(r.getOutputs(0).getDatatype(), is("FP32"));
            assertThat(r.getOutputs(0).getShapeList(), is(List.of(3L, 10L)));
            assertProbabilities(OipGrpcClient.floats(OipGrpcClient.raw(r, "probabilities")),
                    images);
        }
    }

    @Test
    void typedImageFiles() throws Exception {
        List<byte[]> images = List.of(boot, shirt);
        ModelInferResponse r = stub().modelInfer(ModelInferRequest.newBuilder()
                .setModelName("fashion-mnist").addInputs(ModelInferRequest.InferInputTensor
                        .newBuilder().setName("image").setDatatype("BYTES").addShape(2)
                        .setContents(InferTensorContents.newBuilder()
                                .addBytesContents(ByteString.copyFrom(boot))
                                .addBytesContents(ByteString.copyFrom(shirt))))
                .build());
        assertThat("answered in raw_output_contents", r.getRawOutputContentsCount(), is(1));
        assertProbabilities(OipGrpcClient.floats(OipGrpcClient.raw(r, "probabilities")),
                images);
    }

    @Test
    void preprocessedTensorsRawAndTyped() throws Exception {
        float[] a = tensor(shirt);
        float[] b = tensor(boot);
        float[] both = new float[a.length * 2];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        ModelInferRequest.InferInputTensor.Builder input = ModelInferRequest.InferInputTensor
                .newBuilder().setName("input").setDatatype("FP32").addShape(2).addShape(1)
                .addShape(28).addShape(28);
        ModelInferResponse raw = stub().modelInfer(ModelInferRequest.newBuilder()
                .setModelName("fashion-mnist").addInputs(input)
                .addRawInputContents(OipGrpcClient.rawFloats(both)).build());
        assertProbabilities(OipGrpcClient.floats(OipGrpcClient.raw(raw, "probabilities")),
                List.of(shirt, boot));
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (float f : both) {
            contents.addFp32Contents(f);
        }
        ModelInferResponse typed = stub().modelInfer(ModelInferRequest.newBuilder()
                .setModelName("fashion-mnist").addInputs(input.clone().setContents(contents))
                .build());
        assertProbabilities(OipGrpcClient.floats(OipGrpcClient.raw(typed, "probabilities")),
                List.of(shirt, boot));
    }

    @Test
    void classificationExtension() throws Exception {
        List<byte[]> images = List.of(shirt, boot);
        ModelInferResponse r = stub().modelInfer(OipGrpcClient.images("fashion-mnist", images)
                .addOutputs(OipGrpcClient.classification(3)).build());
        assertThat(r.getOutputs(0).getDatatype(), is("BYTES"));
        assertThat(r.getOutputs(0).getShapeList(), is(List.of(2L, 3L)));
        List<String> data = OipGrpcClient.strings(OipGrpcClient.raw(r, "probabilities"));
        assertThat(data.size(), is(6));
        for (int i = 0; i < images.size(); i++) {
            float[] want = expected(images.get(i));
            double last = 2;
            for (int j = 0; j < 3; j++) {
                String[] parts = data.get(i * 3 + j).split(":", 3);
                // "score:index:label", the score as std::to_string writes it (six decimals)
                assertThat(parts[0], matchesPattern("\\d\\.\\d{6}"));
                int index = Integer.parseInt(parts[1]);
                assertThat(parts[2], is(fashion.manifest().labels().get(index)));
                assertThat(Double.parseDouble(parts[0]), closeTo(want[index], 1e-6));
                assertThat("highest first", Double.parseDouble(parts[0]) <= last, is(true));
                last = Double.parseDouble(parts[0]);
            }
        }
        ModelInferResponse many = stub().modelInfer(OipGrpcClient.images("fashion-mnist",
                List.of(boot)).addOutputs(OipGrpcClient.classification(50)).build());
        assertThat("k is capped at the label count", many.getOutputs(0).getShapeList(),
                is(List.of(1L, 10L)));
        // both outputs asked for: each gets its own raw entry, in order
        ModelInferResponse two = stub().modelInfer(OipGrpcClient.images("fashion-mnist",
                List.of(boot)).addOutputs(OipGrpcClient.classification(1))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                        .setName("probabilities")).build());
        assertThat(two.getRawOutputContentsCount(), is(2));
        assertThat(two.getOutputs(0).getDatatype(), is("BYTES"));
        assertProbabilities(OipGrpcClient.floats(two.getRawOutputContents(1)), List.of(boot));
    }

    @Test
    void badInputIsInvalidArgument() {
        ModelInferRequest good = OipGrpcClient.images("fashion-mnist", List.of(boot)).build();
        ModelInferRequest.InferInputTensor image = good.getInputs(0);
        Object[][] cases = {
            {good.toBuilder().setInputs(0, image.toBuilder().setName("picture")),
                "Unknown input 'picture'"},
            {good.toBuilder().setInputs(0, image.toBuilder().setDatatype("INT32")), "BYTES"},
            {good.toBuilder().setInputs(0, image.toBuilder().setShape(0, 2)),
                "holds 1 elements, not 2"},
            {good.toBuilder().setInputs(0, image.toBuilder().setContents(InferTensorContents
                    .newBuilder().addBytesContents(ByteString.copyFrom(boot)))),
                "raw_input_contents"},
            {good.toBuilder().addRawInputContents(ByteString.EMPTY), "raw_input_contents has 2"},
            {good.toBuilder().setRawInputContents(0, OipGrpcClient.rawBytes(List.of(boot))
                    .substring(0, 100)), "claims"},
            {OipGrpcClient.images("fashion-mnist", List.of(boot, "just text".getBytes(
                    StandardCharsets.UTF_8))), "Image 2 of 2"},
            {OipGrpcClient.images("fashion-mnist", List.of(new byte[0])), "empty"},
            {good.toBuilder().addOutputs(ModelInferRequest.InferRequestedOutputTensor
                    .newBuilder().setName("logits")), "Unknown output 'logits'"},
            {good.toBuilder().addOutputs(ModelInferRequest.InferRequestedOutputTensor
                    .newBuilder().setName("probabilities").putParameters("classification",
                            InferParameter.newBuilder().setStringParam("3").build())),
                "int64_param"},
            {good.toBuilder().addOutputs(OipGrpcClient.classification(0)), "count from 1"},
            {ModelInferRequest.newBuilder().setModelName("fashion-mnist").addInputs(
                    ModelInferRequest.InferInputTensor.newBuilder().setName("input")
                            .setDatatype("FP32").addShape(1).addShape(1).addShape(2)
                            .addShape(2)).addRawInputContents(OipGrpcClient.rawFloats(
                                    new float[4])), "takes [N, 1, 28, 28]"},
            {ModelInferRequest.newBuilder().setModelName("fashion-mnist").addInputs(
                    ModelInferRequest.InferInputTensor.newBuilder().setName("input")
                            .setDatatype("FP32").addShape(1).addShape(1).addShape(28)
                            .addShape(28).setContents(InferTensorContents.newBuilder()
                                    .addIntContents(1))), "fp32_contents"},
            {ModelInferRequest.newBuilder().setModelName("fashion-mnist").addInputs(
                    ModelInferRequest.InferInputTensor.newBuilder().setName("input")
                            .setDatatype("FP32").addShape(1).addShape(1).addShape(1)
                            .addShape(1)).addRawInputContents(OipGrpcClient.rawFloats(
                                    new float[] {Float.NaN})), "not a finite float"},
            {good.toBuilder().clearInputs().clearRawInputContents(), "exactly one"},
            {good.toBuilder().setModelName(""), "model_name is required"},
        };
        for (Object[] c : cases) {
            ModelInferRequest request = ((ModelInferRequest.Builder) c[0]).build();
            StatusRuntimeException e = failure(() -> stub().modelInfer(request));
            assertThat(c[1] + ": " + e.getStatus(), code(e), is(Status.Code.INVALID_ARGUMENT));
            assertThat(e.getStatus().getDescription(), containsString((String) c[1]));
            assertThat("Kodiak's error code in the trailers", e.getTrailers().get(
                    GrpcGuard.ERROR_CODE) != null, is(true));
        }
        assertThat("still serving", stub().modelInfer(good).getOutputsCount(), is(1));
    }

    @Test
    void unknownModelsAndVersionsAreNotFound() {
        ModelInferRequest good = OipGrpcClient.images("fashion-mnist", List.of(boot)).build();
        refused(() -> stub().modelInfer(good.toBuilder().setModelName("nope").build()),
                Status.Code.NOT_FOUND, "No model named 'nope'");
        refused(() -> stub().modelInfer(good.toBuilder().setModelVersion("3").build()),
                Status.Code.NOT_FOUND, "has no version 3");
        refused(() -> stub().modelInfer(good.toBuilder().setModelVersion("latest").build()),
                Status.Code.NOT_FOUND, "positive integers");
    }

    @Test
    void aMessageOverTheLimitIsRefusedAndTheNextCallWorks() throws Exception {
        ModelInferRequest good = OipGrpcClient.images("fashion-mnist", List.of(boot)).build();
        // max-body-bytes is 10 MiB by default; Helidon's own limit is twice that
        byte[] big = new byte[10 * 1024 * 1024 + 1];
        ModelInferRequest tooLarge = OipGrpcClient.images("fashion-mnist", List.of(big)).build();
        refused(() -> stub().modelInfer(tooLarge), Status.Code.RESOURCE_EXHAUSTED,
                "kodiak.limits.max-body-bytes");
        assertThat(stub().modelInfer(good).getOutputsCount(), is(1));
        // compressed, it is small on the wire and refused once it inflates past the limit
        refused(() -> stub().withCompression("gzip").modelInfer(tooLarge),
                Status.Code.RESOURCE_EXHAUSTED, "kodiak.limits.max-body-bytes");
        // an image larger than one HTTP/2 frame, compressed, is inflated and answered
        assertThat(good.getSerializedSize() > 16384, is(true));
        assertProbabilities(OipGrpcClient.floats(OipGrpcClient.raw(stub().withCompression(
                "gzip").modelInfer(good), "probabilities")), List.of(boot));
    }

    @Test
    void aMessageThatIsNotTheMethodsProtobufIsInvalidArgument() {
        MethodDescriptor<byte[], byte[]> infer = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName("inference.GRPCInferenceService/ModelInfer")
                .setRequestMarshaller(OipGrpcClient.BYTES)
                .setResponseMarshaller(OipGrpcClient.BYTES).build();
        // field 1 (model_name) says 5 bytes follow, and one does
        StatusRuntimeException e = failure(() -> ClientCalls.blockingUnaryCall(
                client.channel(), infer, CallOptions.DEFAULT.withDeadlineAfter(30,
                        TimeUnit.SECONDS), new byte[] {0x0A, 0x05, 'f'}));
        assertThat(e.getStatus().toString(), code(e), is(Status.Code.INVALID_ARGUMENT));
        MethodDescriptor<byte[], byte[]> unknown = infer.toBuilder()
                .setFullMethodName("inference.GRPCInferenceService/ModelConfig").build();
        StatusRuntimeException u = failure(() -> ClientCalls.blockingUnaryCall(
                client.channel(), unknown, CallOptions.DEFAULT.withDeadlineAfter(30,
                        TimeUnit.SECONDS), new byte[0]));
        assertThat(code(u), is(Status.Code.UNIMPLEMENTED));
    }

    @Test
    void streamingInferenceIsNotServed() throws Exception {
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        StreamObserver<ModelInferRequest> requests = GRPCInferenceServiceGrpc.newStub(
                client.channel()).withDeadlineAfter(30, TimeUnit.SECONDS).modelStreamInfer(
                        new StreamObserver<>() {
                            @Override
                            public void onNext(dev.kodiak.server.grpc.ModelStreamInferResponse r) {
                                ended.completeExceptionally(new AssertionError("answered " + r));
                            }

                            @Override
                            public void onError(Throwable t) {
                                ended.complete(t);
                            }

                            @Override
                            public void onCompleted() {
                                ended.completeExceptionally(new AssertionError("completed"));
                            }
                        });
        requests.onNext(OipGrpcClient.images("fashion-mnist", List.of(boot)).build());
        requests.onCompleted();
        assertThat(Status.fromThrowable(ended.get(30, TimeUnit.SECONDS)).getCode(),
                is(Status.Code.UNIMPLEMENTED));
    }

    @Test
    void theRepositoryIsClosedUnlessEnabled() {
        for (Supplier<?> call : List.<Supplier<?>>of(
                () -> stub().repositoryIndex(RepositoryIndexRequest.getDefaultInstance()),
                () -> stub().repositoryModelLoad(RepositoryModelLoadRequest.newBuilder()
                        .setModelName("fashion-mnist").build()),
                () -> stub().repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder()
                        .setModelName("fashion-mnist").build()))) {
            refused(call, Status.Code.PERMISSION_DENIED, "kodiak.admin.enabled");
        }
        assertThat("nothing was unloaded", stub().modelReady(ModelReadyRequest.newBuilder()
                .setName("fashion-mnist").build()).getReady(), is(true));
    }

    @Test
    void theRepositoryOnTheMainPortNeedsTheToken() throws Exception {
        try (TestServer admin = TestServer.start(Map.of("KODIAK_ADMIN_ENABLED", "true",
                "KODIAK_ADMIN_TOKEN", TOKEN));
                OipGrpcClient c = new OipGrpcClient(admin.port())) {
            RepositoryIndexRequest index = RepositoryIndexRequest.getDefaultInstance();
            refused(() -> c.stub().repositoryIndex(index), Status.Code.UNAUTHENTICATED,
                    "authorization: Bearer");
            refused(() -> c.stub(Map.of("authorization", "Bearer wrong-token-0123456789"))
                    .repositoryIndex(index), Status.Code.UNAUTHENTICATED, "Bearer");
            GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub operator = c.stub(Map.of(
                    "authorization", "Bearer " + TOKEN));
            RepositoryIndexResponse all = operator.repositoryIndex(index);
            assertThat(all.getModelsList().stream().map(m -> m.getName() + " "
                    + m.getVersion() + " " + m.getState()).toList(),
                    hasItems("fashion-mnist 1 READY", "tiny-rgb 1 READY"));
            assertThat(c.stub().serverMetadata(ServerMetadataRequest.getDefaultInstance())
                    .getExtensionsList(), hasItem("model_repository"));

            operator.repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder()
                    .setModelName("tiny-rgb").build());
            assertThat(c.stub().modelReady(ModelReadyRequest.newBuilder().setName("tiny-rgb")
                    .build()).getReady(), is(false));
            assertThat(operator.repositoryIndex(RepositoryIndexRequest.newBuilder()
                    .setReady(true).build()).getModelsList().stream()
                    .map(m -> m.getName()).toList(), not(hasItem("tiny-rgb")));
            StatusRuntimeException busy = refused(() -> c.stub().modelInfer(
                    OipGrpcClient.images("tiny-rgb", List.of(boot)).build()),
                    Status.Code.UNAVAILABLE, "no version that serves");
            assertThat("retryable, and when", busy.getTrailers().get(GrpcGuard.RETRY_PUSHBACK),
                    is("10000"));
            operator.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder()
                    .setModelName("tiny-rgb").build());
            assertThat(c.stub().modelReady(ModelReadyRequest.newBuilder().setName("tiny-rgb")
                    .build()).getReady(), is(true));
            assertThat(c.stub().modelInfer(OipGrpcClient.images("tiny-rgb", List.of(boot))
                    .build()).getModelName(), is("tiny-rgb"));

            refused(() -> operator.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder()
                    .setModelName("nope").build()), Status.Code.NOT_FOUND, "nope");
            refused(() -> operator.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder()
                    .setModelName("tiny-rgb").putParameters("config", ModelRepositoryParameter
                            .newBuilder().setStringParam("{}").build()).build()),
                    Status.Code.INVALID_ARGUMENT, "'config'");
        }
    }

    @Test
    void withAnAdminPortTheRepositoryIsServedThereOnly(@TempDir Path repository)
            throws Exception {
        // a repository model with two versions, half the traffic each
        for (String version : List.of("1", "2")) {
            Path to = Files.createDirectories(repository.resolve("pets").resolve(version));
            try (var files = Files.list(Fixtures.root().resolve("testdata/bundles/tiny-rgb"))) {
                for (Path f : files.toList()) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
        Files.writeString(repository.resolve("pets/serving.json"), "{\"version_policy\": "
                + "\"all\", \"traffic\": {\"1\": 50, \"2\": 50}}");
        try (TestServer admin = TestServer.start(Map.of("KODIAK_ADMIN_ENABLED", "true",
                "KODIAK_ADMIN_PORT", "0", "KODIAK_MODEL_REPOSITORY", repository.toString()));
                OipGrpcClient main = new OipGrpcClient(admin.port());
                OipGrpcClient local = new OipGrpcClient(admin.server().adminPort())) {
            refused(() -> main.stub().repositoryIndex(RepositoryIndexRequest
                    .getDefaultInstance()), Status.Code.PERMISSION_DENIED, "kodiak.admin.port");
            assertThat(local.stub().repositoryIndex(RepositoryIndexRequest.getDefaultInstance())
                    .getModelsList().stream().map(m -> m.getName() + " " + m.getVersion())
                    .toList(), hasItems("pets 1", "pets 2", "fashion-mnist 1"));
            refused(() -> local.stub().modelInfer(OipGrpcClient.images("pets",
                    List.of(boot)).build()), Status.Code.UNIMPLEMENTED, "main port");

            // the routing key pins a caller to a version; different keys spread over both
            Set<String> seen = new HashSet<>();
            ModelInferRequest pets = OipGrpcClient.images("pets", List.of(boot)).build();
            for (int key = 0; key < 24; key++) {
                GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub keyed = main.stub(
                        Map.of("kodiak-routing-key", "caller-" + key));
                String first = keyed.modelInfer(pets).getModelVersion();
                for (int again = 0; again < 3; again++) {
                    assertThat("caller-" + key, keyed.modelInfer(pets).getModelVersion(),
                            is(first));
                }
                seen.add(first);
            }
            assertThat(seen, is(Set.of("1", "2")));
        }
    }

    @Test
    void http11StillAnswersOnTheSamePort() throws Exception {
        assertThat(stub().serverLive(ServerLiveRequest.getDefaultInstance()).getLive(),
                is(true));
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .build()) {
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + server.port() + "/v2/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.version(), is(HttpClient.Version.HTTP_1_1));
            assertThat(ready.statusCode(), is(200));
            HttpResponse<String> classify = http.send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + server.port() + "/api/v1/classify"))
                    .header("Content-Type", "image/png")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(shirt)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(classify.statusCode(), is(200));
            assertThat(classify.body(), containsString("\"predictions\""));
        }
        String metrics = server.get("/observe/metrics").body();
        assertThat("gRPC calls are counted by method and code", metrics, matchesPattern(
                "(?s).*kodiak_grpc_requests_total\\{[^}]*method=\"inference.GRPCInferenceService"
                + "/ServerLive\"[^}]*\\}.*"));
    }

    @Test
    void theClientsDeadlineIsReadAsGrpcWritesIt() {
        // gRPC over HTTP/2: grpc-timeout is at most 8 digits and a unit, H M S m u n
        assertThat(GrpcCaller.timeoutNanos("2S"), is(2_000_000_000L));
        assertThat(GrpcCaller.timeoutNanos("1500m"), is(1_500_000_000L));
        assertThat(GrpcCaller.timeoutNanos("99999999u"), is(99_999_999_000L));
        assertThat(GrpcCaller.timeoutNanos("1H"), is(3_600_000_000_000L));
        assertThat(GrpcCaller.timeoutNanos("7n"), is(7L));
        assertThat(GrpcCaller.timeoutNanos("123456789S"), is(-1L));
        assertThat(GrpcCaller.timeoutNanos("10x"), is(-1L));
        assertThat(GrpcCaller.timeoutNanos(null), is(-1L));
        long now = System.nanoTime();
        assertThat(new GrpcCaller(null, null, now + 5).deadlineWithin(now + 10), is(now + 5));
        assertThat(new GrpcCaller(null, null, Long.MAX_VALUE).deadlineWithin(now + 10),
                is(now + 10));
    }
}
