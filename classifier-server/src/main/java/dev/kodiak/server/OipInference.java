package dev.kodiak.server;

import dev.kodiak.core.Classification;
import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.topk.Prediction;
import dev.kodiak.core.topk.TopKOptions;
import io.helidon.http.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * An inference of the Open Inference Protocol, whatever it arrived by (REST or gRPC): checks the
 * request against the model's tensors, runs every image of the batch through the version's
 * {@link ModelPipeline} (they share its micro-batches), and builds the outputs. The protocols'
 * services only translate their wire format to {@link Request} and {@link Output} back.
 *
 * <p>A Kodiak model has two inputs, of which a request gives exactly one:
 * <ul>
 *   <li>{@code image}, {@code BYTES} {@code [N]}: the encoded image files (JPEG, PNG, GIF, BMP,
 *       WebP), decoded and preprocessed by the model's input spec as every Kodiak route does;
 *   <li>{@code input}, {@code FP32} {@code [N, C, H, W]}: the model's input tensors, for clients
 *       that preprocess themselves.
 * </ul>
 * and one output, {@code probabilities}, {@code FP32} {@code [N, labels]}. With the
 * classification extension (output parameter {@code classification: k}) the output is
 * {@code BYTES} {@code [N, k]} of {@code "score:index:label"}, highest first, as Triton writes it.
 *
 * <p>Thread-safe.
 */
final class OipInference {
    /** The input of encoded image files. */
    static final String IMAGE = "image";
    /** The input of preprocessed tensors. */
    static final String TENSOR = "input";
    /** The output of every label's probability. */
    static final String PROBABILITIES = "probabilities";
    /** The most images one request may hold. */
    static final int MAX_BATCH = 256;

    private final ModelManager models;
    private final ShadowTraffic shadows;
    private final ServerSettings settings;

    /**
     * Creates the inference.
     *
     * @param models the served models
     * @param shadows where copies for shadow versions go
     * @param settings the request deadline
     */
    OipInference(ModelManager models, ShadowTraffic shadows, ServerSettings settings) {
        this.models = models;
        this.shadows = shadows;
        this.settings = settings;
    }

    /**
     * An input tensor, decoded from the wire.
     *
     * @param name the tensor's name
     * @param datatype its datatype, such as {@code BYTES}
     * @param shape its shape
     * @param bytes the elements of a {@code BYTES} tensor, else null
     * @param floats the values of an {@code FP32} tensor, else null
     */
    record Tensor(String name, String datatype, long[] shape, List<byte[]> bytes,
            float[] floats) {
    }

    /**
     * An output the request asks for.
     *
     * @param name its name
     * @param classification the classification extension's count, 0 for none
     * @param binary whether it goes back as binary data (REST's binary extension)
     */
    record Wanted(String name, int classification, boolean binary) {
    }

    /**
     * A request, decoded from the wire.
     *
     * @param model the model's name
     * @param version the version asked for, 0 for the traffic split
     * @param id the request's id, echoed ("" for none)
     * @param inputs the input tensors
     * @param outputs the outputs asked for; empty for every output
     * @param binaryByDefault whether outputs not listed go back as binary data
     * @param routingKey the routing key, or null
     */
    record Request(String model, int version, String id, List<Tensor> inputs,
            List<Wanted> outputs, boolean binaryByDefault, String routingKey) {
    }

    /**
     * An output tensor, to encode on the wire.
     *
     * @param name its name
     * @param datatype {@code FP32} or {@code BYTES}
     * @param shape its shape
     * @param floats the values of an {@code FP32} output, else null
     * @param bytes the elements of a {@code BYTES} output, else null
     * @param binary whether it goes back as binary data
     */
    record Output(String name, String datatype, long[] shape, float[] floats,
            List<byte[]> bytes, boolean binary) {
    }

    /**
     * The answer.
     *
     * @param model the version that answered
     * @param id the request's id
     * @param outputs the outputs
     * @param precision which of the bundle's models answered: fp32 or int8 (the response's
     *     {@code parameters.precision})
     */
    record Response(ModelId model, String id, List<Output> outputs, String precision) {
    }

    /**
     * Runs a request.
     *
     * @param request the request
     * @return the answer
     * @throws ApiException 400 for a request that does not fit the model or an image that is
     *     not usable (the whole request fails), 404 for an unknown model or version, 503 when
     *     busy
     */
    Response infer(Request request) {
        return infer(request, System.nanoTime() + settings.requestTimeout().toNanos());
    }

    /**
     * Runs a request within a deadline of the caller's (a gRPC client's, when it is shorter
     * than the server's request timeout).
     *
     * @param request the request
     * @param deadline the {@link System#nanoTime()} by which the answer must be ready
     * @return the answer
     * @throws ApiException as {@link #infer(Request)}; 503 {@code DEADLINE_EXCEEDED} once the
     *     deadline has passed
     */
    Response infer(Request request, long deadline) {
        ServedModel model = models.require(request.model());
        Tensor input = input(request);
        List<Wanted> wanted = request.outputs().isEmpty()
                ? List.of(new Wanted(PROBABILITIES, 0, request.binaryByDefault()))
                : request.outputs();
        for (Wanted w : wanted) {
            if (!w.name().equals(PROBABILITIES)) {
                throw ApiException.badRequest("INVALID_OUTPUT", "Unknown output '" + w.name()
                        + "'; the model's only output is '" + PROBABILITIES + "'");
            }
            if (w.classification() < 0) {
                throw ApiException.badRequest("INVALID_OUTPUT", "classification must be a "
                        + "positive count, not " + w.classification());
            }
        }
        try (ModelVersion.Lease lease = request.version() > 0
                ? model.version(request.version()) : model.route(request.routingKey())) {
            ModelPipeline pipeline = lease.pipeline();
            Manifest manifest = pipeline.manifest();
            int n = (int) input.shape()[0];
            int labels = manifest.labels().size();
            if (input.floats() != null) {
                checkTensorShape(input, manifest.input(), lease.id());
            }
            TopKOptions all = new TopKOptions(labels, 0f, Set.of());
            List<Classification> answers = run(pipeline, input, n, all, deadline, model,
                    request.version() == 0);
            List<Output> outputs = new ArrayList<>();
            for (Wanted w : wanted) {
                outputs.add(w.classification() > 0
                        ? classification(answers, manifest, w.classification(), w.binary())
                        : probabilities(answers, labels, w.binary()));
            }
            return new Response(lease.id(), request.id(), outputs,
                    pipeline.classifier().precision().id());
        }
    }

    /** The one input of the request, checked. */
    private static Tensor input(Request request) {
        if (request.inputs().size() != 1) {
            throw ApiException.badRequest("INVALID_INPUT", "The request has "
                    + request.inputs().size() + " inputs; give exactly one: '" + IMAGE
                    + "' (BYTES [N]: image files) or '" + TENSOR + "' (FP32 [N, C, H, W])");
        }
        Tensor t = request.inputs().get(0);
        String type = t.datatype().toUpperCase(Locale.ROOT);
        if (t.name().equals(IMAGE)) {
            if (!type.equals("BYTES") || t.shape().length != 1 && !(t.shape().length == 2
                    && t.shape()[1] == 1)) {
                throw ApiException.badRequest("INVALID_INPUT", "Input '" + IMAGE + "' is BYTES "
                        + "of shape [N] (one encoded image file per element), not " + type + " "
                        + java.util.Arrays.toString(t.shape()));
            }
        } else if (t.name().equals(TENSOR)) {
            if (!type.equals("FP32") || t.shape().length != 4) {
                throw ApiException.badRequest("INVALID_INPUT", "Input '" + TENSOR + "' is FP32 "
                        + "of shape [N, C, H, W], not " + type + " "
                        + java.util.Arrays.toString(t.shape()));
            }
        } else {
            throw ApiException.badRequest("INVALID_INPUT", "Unknown input '" + t.name()
                    + "'; the model takes '" + IMAGE + "' (BYTES [N]: image files) or '"
                    + TENSOR + "' (FP32 [N, C, H, W])");
        }
        long n = t.shape()[0];
        if (n < 1 || n > MAX_BATCH) {
            throw ApiException.badRequest("INVALID_INPUT", "A request holds 1 to " + MAX_BATCH
                    + " images, not " + n);
        }
        long count = t.bytes() != null ? t.bytes().size() : t.floats().length;
        long expected = t.bytes() != null ? n : product(t.shape());
        if (count != expected) {
            throw ApiException.badRequest("INVALID_INPUT", "Input '" + t.name() + "' has shape "
                    + java.util.Arrays.toString(t.shape()) + " but holds " + count
                    + " elements, not " + expected);
        }
        return t;
    }

    private static void checkTensorShape(Tensor t, InputSpec spec, ModelId model) {
        long[] s = t.shape();
        if (s[1] != spec.color().channels() || s[2] != spec.height() || s[3] != spec.width()) {
            throw ApiException.badRequest("WRONG_INPUT_SIZE", "Input '" + TENSOR + "' has shape "
                    + java.util.Arrays.toString(s) + " but " + model + " takes [N, "
                    + spec.color().channels() + ", " + spec.height() + ", " + spec.width() + "]");
        }
    }

    /** Every image through the pipeline at once, so that they share micro-batches. */
    private List<Classification> run(ModelPipeline pipeline, Tensor input, int n,
            TopKOptions all, long deadline, ServedModel model, boolean routed) {
        List<Classification> answers = new ArrayList<>(n);
        if (n == 1) {
            answers.add(one(pipeline, input, 0, all, deadline, model, routed));
            return answers;
        }
        try (ExecutorService each = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Classification>> futures = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int at = i;
                futures.add(each.submit(() -> one(pipeline, input, at, all, deadline, model,
                        routed)));
            }
            for (int i = 0; i < n; i++) {
                try {
                    answers.add(futures.get(i).get());
                } catch (ExecutionException e) {
                    futures.forEach(f -> f.cancel(true));
                    if (e.getCause() instanceof ApiException api) {
                        throw n > 1 ? api.forImage(i + 1, n) : api;
                    }
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw ApiException.overloaded("The server is stopping; retry in a second");
                }
            }
        }
        return answers;
    }

    private Classification one(ModelPipeline pipeline, Tensor input, int at, TopKOptions all,
            long deadline, ServedModel model, boolean routed) {
        ModelPipeline.Answer answer;
        if (input.bytes() != null) {
            byte[] image = input.bytes().get(at);
            answer = pipeline.classify(image, all, false, deadline);
            if (routed) {
                shadows.copy(model, answer, image, all, false);
            }
        } else {
            int size = input.floats().length / (int) input.shape()[0];
            float[] tensor = new float[size];
            System.arraycopy(input.floats(), at * size, tensor, 0, size);
            answer = pipeline.classifyTensor(tensor, all, deadline);
        }
        return answer.classification();
    }

    private static Output probabilities(List<Classification> answers, int labels,
            boolean binary) {
        float[] values = new float[answers.size() * labels];
        for (int i = 0; i < answers.size(); i++) {
            for (Prediction p : answers.get(i).predictions()) {
                values[i * labels + p.index()] = p.probability();
            }
        }
        return new Output(PROBABILITIES, "FP32", new long[] {answers.size(), labels}, values,
                null, binary);
    }

    private static Output classification(List<Classification> answers, Manifest manifest,
            int k, boolean binary) {
        int count = Math.min(k, manifest.labels().size());
        List<byte[]> elements = new ArrayList<>(answers.size() * count);
        for (Classification c : answers) {
            List<Prediction> ranked = c.predictions();
            for (int j = 0; j < count; j++) {
                Prediction p = ranked.get(j);
                // as Triton writes it: C++ std::to_string of the value (six decimals)
                elements.add((String.format(Locale.ROOT, "%f", p.probability()) + ":"
                        + p.index() + ":" + p.label()).getBytes(StandardCharsets.UTF_8));
            }
        }
        return new Output(PROBABILITIES, "BYTES", new long[] {answers.size(), count}, null,
                elements, binary);
    }

    /** The number of elements of a shape, or -1 when it does not fit a long. */
    static long product(long[] shape) {
        long p = 1;
        for (long d : shape) {
            if (d < 0) {
                return -1;
            }
            p = Math.multiplyHigh(p, d) != 0 ? -1 : p * d;
            if (p < 0) {
                return -1;
            }
        }
        return p;
    }

    /**
     * The metadata of a model (or one of its versions) as the protocol describes it.
     *
     * @param model the model
     * @param version a version, or 0 for the model
     * @return name, versions, platform, inputs and outputs
     * @throws ApiException 404 for a version that does not serve, 503 while none does
     */
    Metadata metadata(ServedModel model, int version) {
        List<String> versions = new ArrayList<>();
        Manifest manifest;
        String platform;
        try (ModelVersion.Lease lease = version > 0 ? model.version(version)
                : model.route(null)) {
            manifest = lease.pipeline().manifest();
            platform = lease.pipeline().classifier().engine()
                    == dev.kodiak.core.infer.InferenceEngine.PYTORCH ? "pytorch_libtorch"
                    : "onnxruntime_onnx";
            if (version > 0) {
                versions.add(Integer.toString(version));
            } else {
                model.ready().forEach(v -> versions.add(Integer.toString(v)));
            }
        }
        InputSpec spec = manifest.input();
        return new Metadata(model.name(), versions, platform, manifest.labels().size(),
                new long[] {-1, spec.color().channels(), spec.height(), spec.width()});
    }

    /**
     * What a model's metadata says.
     *
     * @param name the model's name
     * @param versions the versions serving
     * @param platform Triton's name of the runtime that runs it
     * @param labels how many probabilities its output holds
     * @param tensorShape the shape of its FP32 input, batch first (-1)
     */
    record Metadata(String name, List<String> versions, String platform, int labels,
            long[] tensorShape) {
    }

    /** The ready versions, for "model ready". */
    static boolean ready(ServedModel model, int version) {
        if (version > 0) {
            ModelVersion v = model.versions().get(version);
            if (v == null) {
                throw new ApiException(Status.NOT_FOUND_404, "VERSION_NOT_FOUND", "Model '"
                        + model.name() + "' has no version " + version + "; it has "
                        + model.listing());
            }
            return v.state() == ModelVersion.State.READY;
        }
        return model.isReady();
    }
}
