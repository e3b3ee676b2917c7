package dev.kodiak.server;

import static dev.kodiak.server.json.JsonP.JSON;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * The routes that change what the server serves: the Open Inference Protocol's model repository
 * extension ({@code POST /v2/repository/index}, {@code .../models/{name}/load} and
 * {@code .../unload}) and Kodiak's management of a model's serving ({@code GET /admin/models},
 * {@code GET|PUT|DELETE /admin/models/{name}/serving}: traffic weights, the shadow version, the
 * version policy, and the shadow's agreement so far).
 *
 * <p>They are closed unless {@code kodiak.admin.enabled}: then they answer 403. Enabled on the
 * main port they need {@code Authorization: Bearer <kodiak.admin.token>}; on their own port
 * ({@code kodiak.admin.port}, bound to 127.0.0.1) the token is asked for only when one is set.
 */
final class AdminService implements HttpService {
    static final String INDEX = "/v2/repository/index";
    static final String LOAD = "/v2/repository/models/{name}/load";
    static final String UNLOAD = "/v2/repository/models/{name}/unload";
    static final String MODELS = "/admin/models";
    static final String MODEL = "/admin/models/{name}";
    static final String SERVING = "/admin/models/{name}/serving";

    private final ModelManager models;
    private final ShadowTraffic shadows;
    private final byte[] token;
    private final String closedWhy;

    private AdminService(ModelManager models, ShadowTraffic shadows, String token,
            String closedWhy) {
        this.models = models;
        this.shadows = shadows;
        this.token = token == null || token.isEmpty() ? null
                : token.getBytes(StandardCharsets.UTF_8);
        this.closedWhy = closedWhy;
    }

    /**
     * The open routes.
     *
     * @param models the served models
     * @param shadows the shadow traffic, for its agreement so far
     * @param token the bearer token asked for, or empty for none (own port only)
     * @return the service
     */
    static AdminService open(ModelManager models, ShadowTraffic shadows, String token) {
        return new AdminService(models, shadows, token, null);
    }

    /**
     * The routes answering 403, with why.
     *
     * @param why what to do to open them
     * @return the service
     */
    static AdminService closed(String why) {
        return new AdminService(null, null, null, why);
    }

    /** {@inheritDoc} */
    @Override
    public void routing(HttpRules rules) {
        rules.post(INDEX, guard(this::index))
                .post(LOAD, guard((req, res) -> {
                    body(req, "load");
                    models.load(name(req));
                    res.send();
                }))
                .post(UNLOAD, guard((req, res) -> {
                    body(req, "unload");
                    models.unload(name(req));
                    res.send();
                }))
                .get(MODELS, guard(this::list))
                .get(MODEL, guard((req, res) -> res.send(describe(models.require(name(req))))))
                .get(SERVING, guard((req, res) -> res.send(models.require(name(req)).serving()
                        .toJson())))
                .put(SERVING, guard(this::setServing))
                .delete(SERVING, guard((req, res) -> {
                    ServedModel model = models.require(name(req));
                    model.override(null);
                    models.load(model.name());
                    res.send(describe(model));
                }));
    }

    private Handler guard(Handler handler) {
        return (req, res) -> {
            if (closedWhy != null) {
                throw new ApiException(Status.FORBIDDEN_403, "ADMIN_CLOSED", closedWhy);
            }
            if (token != null) {
                String given = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
                byte[] presented = given.startsWith("Bearer ")
                        ? given.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
                if (!MessageDigest.isEqual(presented, token)) {
                    res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
                    throw new ApiException(Status.UNAUTHORIZED_401, "UNAUTHORIZED", "This route "
                            + "needs Authorization: Bearer <kodiak.admin.token>");
                }
            }
            handler.handle(req, res);
        };
    }

    private static String name(ServerRequest req) {
        return req.path().pathParameters().get("name");
    }

    /** A JSON body that may be empty (tritonclient sends none to the index). */
    private static JsonObject body(ServerRequest req, String what) {
        byte[] bytes = req.content().hasEntity() ? req.content().as(byte[].class) : new byte[0];
        if (bytes.length == 0) {
            return JsonValue.EMPTY_JSON_OBJECT;
        }
        JsonObject body;
        try (JsonReader reader = JSON.createReader(new ByteArrayInputStream(bytes))) {
            body = reader.readObject();
        } catch (JsonException | IllegalStateException e) {
            throw ApiException.badRequest("INVALID_JSON", "The " + what + " request's body is "
                    + "not a JSON object (" + e.getMessage() + ")");
        }
        if (body.get("parameters") instanceof JsonObject p) {
            for (String key : p.keySet()) {
                if (key.equals("config") || key.startsWith("file:")) {
                    throw ApiException.badRequest("UNSUPPORTED_PARAMETER", "Load parameter '"
                            + key + "' (Triton's model configuration and files) is not "
                            + "supported: put the bundle in the model repository and load it");
                }
            }
        }
        return body;
    }

    private void index(ServerRequest req, ServerResponse res) {
        JsonObject body = body(req, "index");
        JsonValue ready = body.get("ready");
        if (ready != null && ready.getValueType() != JsonValue.ValueType.TRUE
                && ready.getValueType() != JsonValue.ValueType.FALSE) {
            throw ApiException.badRequest("INVALID_REQUEST", "\"ready\" must be true or false");
        }
        JsonArrayBuilder out = JSON.createArrayBuilder();
        for (ModelManager.IndexEntry e : models.index(ready == JsonValue.TRUE)) {
            JsonObjectBuilder o = JSON.createObjectBuilder().add("name", e.name());
            if (!e.version().isEmpty()) {
                o.add("version", e.version());
            }
            o.add("state", e.state());
            if (!e.reason().isEmpty()) {
                o.add("reason", e.reason());
            }
            out.add(o);
        }
        res.send(out.build());
    }

    private void list(ServerRequest req, ServerResponse res) {
        JsonArrayBuilder out = JSON.createArrayBuilder();
        models.models().forEach(m -> out.add(describe(m)));
        res.send(JSON.createObjectBuilder().add("models", out).build());
    }

    private void setServing(ServerRequest req, ServerResponse res) {
        ServedModel model = models.require(name(req));
        Serving serving;
        try {
            serving = Serving.read(body(req, "serving"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("INVALID_SERVING", e.getMessage());
        }
        models.serve(model.name(), serving);
        res.send(describe(model));
    }

    /** A model's versions, serving settings and shadow agreement. */
    private JsonObject describe(ServedModel model) {
        JsonArrayBuilder versions = JSON.createArrayBuilder();
        model.versions().forEach((v, mv) -> {
            JsonObjectBuilder o = JSON.createObjectBuilder().add("version", Integer.toString(v))
                    .add("state", mv.state().name()).add("requests_in_flight", mv.leases());
            if (!mv.reason().isEmpty()) {
                o.add("reason", mv.reason());
            }
            versions.add(o);
        });
        Serving serving = model.serving();
        JsonObjectBuilder b = JSON.createObjectBuilder().add("name", model.name())
                .add("source", model.bundle() != null ? "kodiak.models" : "repository")
                .add("versions", versions).add("serving", serving.toJson())
                .add("default_version", Integer.toString(model.defaultVersion()));
        if (model.servingProblem() != null) {
            b.add("serving_problem", model.servingProblem());
        }
        if (serving.shadow() > 0) {
            JsonObjectBuilder shadow = JSON.createObjectBuilder();
            for (Map.Entry<Integer, ShadowTraffic.Summary> e : shadows.summary(model.name(),
                    serving.shadow()).entrySet()) {
                ShadowTraffic.Summary s = e.getValue();
                JsonObjectBuilder o = JSON.createObjectBuilder().add("compared", s.compared())
                        .add("agreed", s.agreed()).add("dropped", s.dropped())
                        .add("failed", s.failed()).add("mean_ms", Math.round(s.meanMillis()
                        * 100) / 100.0);
                if (s.compared() > 0) {
                    o.add("agreement", s.agreement());
                }
                shadow.add(Integer.toString(e.getKey()), o);
            }
            b.add("shadow", JSON.createObjectBuilder().add("version",
                    Integer.toString(serving.shadow())).add("against_live_version", shadow));
        }
        return b.build();
    }
}
