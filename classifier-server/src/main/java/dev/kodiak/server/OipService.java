package dev.kodiak.server;

import static dev.kodiak.server.json.JsonP.JSON;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import java.util.List;

/**
 * The Open Inference Protocol v2 (KServe's V2, Triton's HTTP/REST protocol) on the server's port:
 * server and model metadata, health, and inference, with the binary tensor data and
 * classification extensions. Errors are the protocol's {@code {"error": "<message>"}} with a 4xx
 * status (503 when busy). Clients send no Content-Type (tritonclient sends none), so none is
 * required: a body is JSON unless {@code Inference-Header-Content-Length} says where the JSON
 * ends and binary data begins. Handlers parse and encode; {@link OipInference} runs the request.
 */
final class OipService implements HttpService {
    /** The route prefix, under which errors take the protocol's shape. */
    static final String ROOT = "/v2";
    static final String META = "/v2";
    static final String LIVE = "/v2/health/live";
    static final String READY = "/v2/health/ready";
    static final String MODEL = "/v2/models/{name}";
    static final String MODEL_VERSION = "/v2/models/{name}/versions/{version}";
    static final String MODEL_READY = "/v2/models/{name}/ready";
    static final String MODEL_VERSION_READY = "/v2/models/{name}/versions/{version}/ready";
    static final String INFER = "/v2/models/{name}/infer";
    static final String INFER_VERSION = "/v2/models/{name}/versions/{version}/infer";
    /** The binary tensor data extension's header. */
    static final HeaderName HEADER_LENGTH = HeaderNames.create("Inference-Header-Content-Length");
    /** The server's name in its metadata. */
    static final String NAME = "kodiak";

    private final ModelManager models;
    private final OipInference inference;
    private final BodyReader bodies;
    private final List<String> extensions;

    /**
     * Creates the service.
     *
     * @param models the served models
     * @param inference runs requests
     * @param bodies reads request bodies within the server's limits
     * @param extensions the extensions served, for the server's metadata
     */
    OipService(ModelManager models, OipInference inference, BodyReader bodies,
            List<String> extensions) {
        this.models = models;
        this.inference = inference;
        this.bodies = bodies;
        this.extensions = List.copyOf(extensions);
    }

    /** {@inheritDoc} */
    @Override
    public void routing(HttpRules rules) {
        rules.get(META, this::serverMetadata)
                .get(META + "/", this::serverMetadata)
                .get(LIVE, (req, res) -> res.send(JSON.createObjectBuilder().add("live", true)
                        .build()))
                .get(READY, this::serverReady)
                .get(MODEL, (req, res) -> modelMetadata(req, res, 0))
                .get(MODEL_VERSION, (req, res) -> modelMetadata(req, res, version(req)))
                .get(MODEL_READY, (req, res) -> modelReady(req, res, 0))
                .get(MODEL_VERSION_READY, (req, res) -> modelReady(req, res, version(req)))
                .post(INFER, (req, res) -> infer(req, res, 0))
                .post(INFER_VERSION, (req, res) -> infer(req, res, version(req)));
    }

    private static int version(ServerRequest req) {
        return ClassifyService.version(req.path().pathParameters().get("version"));
    }

    private void serverMetadata(ServerRequest req, ServerResponse res) {
        JsonArrayBuilder ext = JSON.createArrayBuilder();
        extensions.forEach(ext::add);
        res.send(JSON.createObjectBuilder().add("name", NAME).add("version", version())
                .add("extensions", ext).build());
    }

    /** The server's version: the jar's, or {@code dev} when run from classes. */
    static String version() {
        String v = OipService.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private void serverReady(ServerRequest req, ServerResponse res) {
        if (!models.ready()) {
            throw new ApiException(Status.SERVICE_UNAVAILABLE_503, "NOT_READY", "The server is "
                    + "loading its models: " + models.states());
        }
        res.send(JSON.createObjectBuilder().add("ready", true).build());
    }

    private void modelMetadata(ServerRequest req, ServerResponse res, int version) {
        ServedModel model = models.require(req.path().pathParameters().get("name"));
        OipInference.Metadata m = inference.metadata(model, version);
        JsonArrayBuilder versions = JSON.createArrayBuilder();
        m.versions().forEach(versions::add);
        JsonArrayBuilder tensorShape = JSON.createArrayBuilder();
        for (long d : m.tensorShape()) {
            tensorShape.add(d);
        }
        res.send(JSON.createObjectBuilder().add("name", m.name()).add("versions", versions)
                .add("platform", m.platform())
                .add("inputs", JSON.createArrayBuilder()
                        .add(tensor(OipInference.IMAGE, "BYTES", JSON.createArrayBuilder()
                                .add(-1)))
                        .add(tensor(OipInference.TENSOR, "FP32", tensorShape)))
                .add("outputs", JSON.createArrayBuilder()
                        .add(tensor(OipInference.PROBABILITIES, "FP32", JSON.createArrayBuilder()
                                .add(-1).add(m.labels()))))
                .build());
    }

    private static JsonObjectBuilder tensor(String name, String type, JsonArrayBuilder shape) {
        return JSON.createObjectBuilder().add("name", name).add("datatype", type)
                .add("shape", shape);
    }

    private void modelReady(ServerRequest req, ServerResponse res, int version) {
        ServedModel model = models.require(req.path().pathParameters().get("name"));
        if (!OipInference.ready(model, version)) {
            throw new ApiException(Status.BAD_REQUEST_400, "NOT_READY", "Model '" + model.name()
                    + "'" + (version > 0 ? " version " + version : "") + " is not ready ("
                    + model.listing() + ")");
        }
        res.send(JSON.createObjectBuilder().add("name", model.name()).add("ready", true)
                .build());
    }

    private void infer(ServerRequest req, ServerResponse res, int version) {
        String name = req.path().pathParameters().get("name");
        models.require(name); // 404 before the body is read
        OipInference.Response answer;
        try (BodyReader.Body body = bodies.readAny(req)) {
            // a body sent with Content-Encoding gzip or deflate was inflated while it was read
            // (Helidon's content encodings), within the body limit
            byte[] bytes = body.bytes();
            int headerLength = headerLength(req);
            OipInference.Request request = OipJson.read(bytes, headerLength, name, version,
                    req.headers().first(HeaderNames.create(Serving.ROUTING_KEY)).orElse(null),
                    body.reservation()::grow);
            answer = inference.infer(request);
        }
        OipJson.Encoded encoded = OipJson.write(answer);
        if (encoded.headerLength() >= 0) {
            res.header(HEADER_LENGTH, Integer.toString(encoded.headerLength()));
            res.headers().contentType(MediaTypes.APPLICATION_OCTET_STREAM);
        } else {
            res.headers().contentType(MediaTypes.APPLICATION_JSON);
        }
        res.send(encoded.body());
    }

    private static int headerLength(ServerRequest req) {
        String text = req.headers().first(HEADER_LENGTH).orElse(null);
        if (text == null) {
            return -1;
        }
        try {
            int n = Integer.parseInt(text.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw ApiException.badRequest("INVALID_REQUEST", "Inference-Header-Content-Length is '"
                + text + "'; it must be the JSON part's length in bytes");
    }
}
