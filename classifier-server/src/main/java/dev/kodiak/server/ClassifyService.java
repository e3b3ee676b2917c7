package dev.kodiak.server;

import static dev.kodiak.server.json.JsonP.JSON;

import dev.kodiak.core.Classification;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.topk.Prediction;
import dev.kodiak.core.topk.TopKOptions;
import dev.kodiak.server.json.Responses;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import jakarta.json.JsonArrayBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kodiak's own HTTP API: list and describe models, classify (three input forms), and the
 * seed-002 {@code /predict} endpoint. Handlers only parse requests, hand them to the model's
 * {@link ModelPipeline}, and write its answer or its {@link ApiException} as JSON.
 */
final class ClassifyService implements HttpService {
    /** Route templates, also used as the {@code route} label of the request metrics. */
    static final String MODELS = "/api/v1/models";
    static final String MODEL = "/api/v1/models/{name}";
    static final String CLASSIFY_MODEL = "/api/v1/models/{name}/classify";
    static final String CLASSIFY_VERSION = "/api/v1/models/{name}/versions/{version}/classify";
    static final String CLASSIFY = "/api/v1/classify";
    static final String PREDICT = "/predict";
    static final String OPENAPI = "/openapi.yaml";
    static final String API_OPENAPI = "/api/v1/openapi.yaml";
    /** The parameter that marks an image as already prepared, and its one value. */
    static final String PREPARED = "prepared";
    static final String PREPARED_MODEL = "model";
    /** The parameters a classification takes, in its body or query string. */
    private static final Set<String> CLASSIFY_PARAMETERS = Set.of("top_k", "threshold",
            "labels");
    /** The parameters a classification takes in its query string. */
    private static final Set<String> CLASSIFY_QUERY = Set.of("top_k", "threshold", "labels",
            PREPARED);

    private final ModelManager models;
    private final ServerSettings settings;
    private final BodyReader bodies;
    private final ShadowTraffic shadows;
    private final byte[] openapi;

    ClassifyService(ModelManager models, ServerSettings settings, BodyReader bodies,
            ShadowTraffic shadows) {
        try (InputStream in = ClassifyService.class.getResourceAsStream(OPENAPI)) {
            if (in == null) {
                throw new IllegalStateException(OPENAPI + " is missing from the server's jar; "
                        + "rebuild classifier-server");
            }
            this.openapi = in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.models = models;
        this.settings = settings;
        this.bodies = bodies;
        this.shadows = shadows;
    }

    /** {@inheritDoc} */
    @Override
    public void routing(HttpRules rules) {
        rules.get(MODELS, this::listModels)
                .get(MODEL, this::describeModel)
                .post(CLASSIFY_MODEL, (req, res) -> classify(req, res,
                        req.path().pathParameters().get("name"), 0))
                .post(CLASSIFY_VERSION, (req, res) -> classify(req, res,
                        req.path().pathParameters().get("name"),
                        version(req.path().pathParameters().get("version"))))
                .post(CLASSIFY, (req, res) -> classify(req, res, models.defaultModel(), 0))
                .post(PREDICT, this::predict)
                .get(OPENAPI, this::openapi)
                .get(API_OPENAPI, this::openapi);
    }

    private void listModels(ServerRequest req, ServerResponse res) {
        JsonArrayBuilder list = JSON.createArrayBuilder();
        String defaultModel = models.defaultModel();
        for (ServedModel model : models.models()) {
            list.add(Responses.summary(model.name(), model.manifest(), model.isReady(),
                    model.name().equals(defaultModel), Responses.versions(states(model))));
        }
        res.send(JSON.createObjectBuilder().add("default", defaultModel)
                .add("default_reason", settings.defaultModelReason())
                .add("models", list).build());
    }

    private void describeModel(ServerRequest req, ServerResponse res) {
        ServedModel model = models.require(req.path().pathParameters().get("name"));
        res.send(Responses.model(model.name(), model.manifest(), model.isReady(),
                Responses.versions(states(model))));
    }

    /** State and reason of each version, by number. */
    static Map<Integer, String[]> states(ServedModel model) {
        Map<Integer, String[]> states = new java.util.TreeMap<>();
        model.versions().forEach((v, mv) -> states.put(v, new String[] {mv.state().name(),
                mv.reason()}));
        return states;
    }

    /**
     * A version in a path.
     *
     * @throws ApiException 404 for anything but a positive integer
     */
    static int version(String text) {
        try {
            int v = Integer.parseInt(text);
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new ApiException(Status.NOT_FOUND_404, "VERSION_NOT_FOUND", "Version '" + text
                + "' does not exist: versions are positive integers");
    }

    /** The version a request gets: the one it names, else the traffic split's. */
    static ModelVersion.Lease lease(ServedModel model, int version, ServerRequest req) {
        return version > 0 ? model.version(version) : model.route(req.headers()
                .first(io.helidon.http.HeaderNames.create(Serving.ROUTING_KEY)).orElse(null));
    }

    private void openapi(ServerRequest req, ServerResponse res) {
        res.headers().contentType(io.helidon.common.media.type.MediaTypes.create(
                "application/yaml"));
        res.send(openapi);
    }

    private void classify(ServerRequest req, ServerResponse res, String name, int version) {
        long start = System.nanoTime();
        Parameters.check(req.query().names(), CLASSIFY_QUERY, "the query string", true);
        ServedModel model = models.require(name);
        try (ModelVersion.Lease lease = lease(model, version, req)) {
            ModelPipeline pipeline = lease.pipeline();
            ModelPipeline.Answer answer;
            try (BodyReader.Body body = bodies.read(req)) {
                ImageRequest input = ImageRequest.parse(body.bytes(), body.contentType(),
                        body.reservation()::grow);
                Parameters.check(input.otherFields(), CLASSIFY_PARAMETERS, "the body", false);
                TopKOptions options = pipeline.validate(options(req, input.parameters(),
                        pipeline.classifier()));
                boolean modelSized = modelSized(req.query().first(PREPARED).asOptional()
                        .orElse(null));
                answer = pipeline.classify(input.image(), options, modelSized, deadline(start));
                if (version == 0) {
                    shadows.copy(model, answer, input.image(), options, modelSized);
                }
            }
            res.send(Responses.classification(pipeline.manifest(), answer.model().version(),
                    answer.classification(), answer.width(), answer.height(),
                    answer.queueWaitNanos(), System.nanoTime() - start));
        }
    }

    /** The Django endpoint's shape from seed story 002: every label with its probability. */
    private void predict(ServerRequest req, ServerResponse res) {
        long start = System.nanoTime();
        Parameters.check(req.query().names(), Set.of(), "the query string", true);
        ServedModel model = models.require(models.defaultModel());
        List<String> labels;
        Classification c;
        try (ModelVersion.Lease lease = lease(model, 0, req);
                BodyReader.Body body = bodies.read(req)) {
            ModelPipeline pipeline = lease.pipeline();
            labels = pipeline.manifest().labels();
            TopKOptions all = new TopKOptions(labels.size(), 0f, Set.of());
            ImageRequest input = ImageRequest.parse(body.bytes(), body.contentType(),
                    body.reservation()::grow);
            ModelPipeline.Answer answer = pipeline.classify(input.image(), all, false,
                    deadline(start));
            shadows.copy(model, answer, input.image(), all, false);
            c = answer.classification();
        }
        float[] probabilities = new float[labels.size()];
        for (Prediction p : c.predictions()) {
            probabilities[p.index()] = p.probability();
        }
        res.send(Responses.predict(labels, probabilities));
    }

    private long deadline(long start) {
        return start + settings.requestTimeout().toNanos();
    }

    /**
     * The {@code prepared} parameter: {@code model} means the image already is the model's
     * input, converted and resized with its input spec (the browser widget sends such images);
     * the server then skips the resize, which for a crop spec would change the image again.
     */
    static boolean modelSized(String prepared) {
        if (prepared == null) {
            return false;
        }
        if (!prepared.trim().equals(PREPARED_MODEL)) {
            throw ApiException.badRequest("INVALID_PARAMETER", PREPARED + " is '" + prepared
                    + "' but the only value is '" + PREPARED_MODEL + "' (the image already has "
                    + "the model's input size); leave it out to have the image resized");
        }
        return true;
    }

    /** top_k, threshold and labels from the query string, else from the body. */
    private static TopKOptions options(ServerRequest req, Map<String, String> body,
            Classifier classifier) {
        TopKOptions defaults = classifier.config().defaults();
        int labelCount = classifier.manifest().labels().size();
        String k = param(req, body, "top_k");
        String threshold = param(req, body, "threshold");
        String labels = param(req, body, "labels");
        int topK = defaults.k();
        float min = defaults.threshold();
        Set<String> allowed = defaults.allowedLabels();
        if (k != null) {
            try {
                topK = Integer.parseInt(k.trim());
            } catch (NumberFormatException e) {
                topK = -1;
            }
            if (topK < 1 || topK > 1000) {
                throw ApiException.badRequest("INVALID_PARAMETER", "top_k is '" + k + "' but must "
                        + "be a whole number from 1 to 1000 (this model has " + labelCount
                        + " labels)");
            }
        }
        if (threshold != null) {
            try {
                min = Float.parseFloat(threshold.trim());
            } catch (NumberFormatException e) {
                min = Float.NaN;
            }
            if (!(min >= 0f && min <= 1f)) {
                throw ApiException.badRequest("INVALID_PARAMETER", "threshold is '" + threshold
                        + "' but must be a probability from 0 to 1");
            }
        }
        if (labels != null) {
            allowed = new HashSet<>();
            for (String label : labels.split(",")) {
                if (!label.isBlank()) {
                    allowed.add(label.trim());
                }
            }
        }
        return new TopKOptions(topK, min, allowed);
    }

    private static String param(ServerRequest req, Map<String, String> body, String name) {
        return req.query().first(name).asOptional().orElseGet(() -> body.get(name));
    }
}
