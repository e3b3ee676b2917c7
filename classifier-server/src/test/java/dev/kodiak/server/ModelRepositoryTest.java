package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.kodiak.core.testing.Fixtures;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model repository served live (issue 19): versions, the version policy, load and unload
 * through the repository extension, a broken version that never takes traffic, traffic weights
 * with routing keys, a shadow version, polling, and the admin routes' guard. Every answer names
 * the version that gave it.
 */
class ModelRepositoryTest {
    private static final String TOKEN = "test-token-0123456789abcdef";
    @TempDir
    Path repo;
    private TestServer server;
    private OipClient oip;
    private byte[] photo;

    private void start(Map<String, String> extra) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("KODIAK_MODELS", "",
                "KODIAK_MODEL_REPOSITORY", repo.toString(), "KODIAK_ADMIN_ENABLED", "true",
                "KODIAK_ADMIN_TOKEN", TOKEN));
        env.putAll(extra);
        server = TestServer.start(env);
        oip = new OipClient(server.port());
        photo = Fixtures.image("png-rgb8.png").bytes();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** The version that answers an unversioned classification. */
    private String answered(String... headers) throws Exception {
        OipClient.Reply r = oip.post("/api/v1/models/pets/classify", photo, concat(headers,
                "Content-Type", "image/png"));
        assertThat(r.text(), r.status(), is(200));
        return r.json().getJsonObject("model").getString("model_version");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private OipClient.Reply admin(String method, String path, String body) throws Exception {
        return method.equals("GET") ? oip.get(path, "Authorization", "Bearer " + TOKEN)
                : oip.post(path, body == null ? "" : body, "Authorization", "Bearer " + TOKEN);
    }

    /** PUTs a model's serving settings through the management route. */
    private java.net.http.HttpResponse<String> serving(String model, String json)
            throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(server.uri("/admin/models/" + model + "/serving"))
                .header("Authorization", "Bearer " + TOKEN)
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** version -> [state, reason] of a model, from the repository index. */
    private Map<String, String[]> index(String model) throws Exception {
        OipClient.Reply r = admin("POST", "/v2/repository/index", null);
        assertThat(r.text(), r.status(), is(200));
        JsonArray entries = jakarta.json.Json.createReader(new java.io.StringReader(r.text()))
                .readArray();
        Map<String, String[]> out = new HashMap<>();
        for (JsonValue v : entries) {
            JsonObject e = v.asJsonObject();
            if (e.getString("name").equals(model)) {
                out.put(e.getString("version", ""), new String[] {e.getString("state"),
                        e.getString("reason", "")});
            }
        }
        return out;
    }

    @Test
    void latestServesTheHighestVersionAndTheIndexSaysWhyNotTheOthers() throws Exception {
        Repositories.version(repo, "pets", 1, "tiny-rgb-pad");
        Repositories.version(repo, "pets", 2, "tiny-rgb-squish");
        start(Map.of());
        assertThat(answered(), is("2"));
        Map<String, String[]> index = index("pets");
        assertThat(index.get("2")[0], is("READY"));
        assertThat(index.get("1")[0], is("UNAVAILABLE"));
        assertThat(index.get("1")[1], containsString("version policy (latest)"));
        // the repository's model is the default model when nothing else is configured
        assertThat(server.post("/api/v1/classify", "image/png", photo).statusCode(), is(200));
        assertThat(oip.post("/v2/models/pets/versions/1/infer", OipClient.imagesJson(
                List.of(photo), null)).status(), is(404));
        OipClient.Reply v2 = oip.post("/v2/models/pets/versions/2/infer",
                OipClient.imagesJson(List.of(photo), null));
        assertThat(v2.status(), is(200));
        assertThat(v2.json().getString("model_version"), is("2"));
        assertThat(oip.get("/v2").json().getJsonArray("extensions").toString(),
                containsString("model_repository"));
    }

    @Test
    void loadSwapsANewVersionInAndABrokenOneNeverTakesTraffic() throws Exception {
        Repositories.version(repo, "pets", 1, "tiny-rgb-pad");
        start(Map.of());
        assertThat(answered(), is("1"));
        Repositories.version(repo, "pets", 2, "tiny-rgb-squish");
        OipClient.Reply load = admin("POST", "/v2/repository/models/pets/load", null);
        assertThat(load.text(), load.status(), is(200));
        assertThat(answered(), is("2"));
        Repositories.await("version 1 to be closed", Duration.ofSeconds(30), () -> {
            try {
                return index("pets").get("1")[0].equals("UNAVAILABLE");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });

        Repositories.broken(repo, "pets", 3, "tiny-rgb-pad");
        OipClient.Reply again = admin("POST", "/v2/repository/models/pets/load", "{}");
        assertThat("version 2 still serves", again.status(), is(200));
        Map<String, String[]> index = index("pets");
        assertThat(index.get("3")[0], is("UNAVAILABLE"));
        assertThat(index.get("3")[1], containsString("sha256"));
        assertThat(index.get("2")[0], is("READY"));
        for (int i = 0; i < 5; i++) {
            assertThat("the broken version never answers", answered(), is("2"));
        }
        assertThat(server.get("/observe/metrics").body(), org.hamcrest.Matchers.matchesPattern(
                "(?s).*kodiak_model_load_failures_total\\{model=\"pets\",[^}]*version=\"3\""
                + "[^}]*\\} [1-9].*"));
        // a version half copied (no model file yet) is not one either
        Path half = Files.createDirectories(repo.resolve("pets/4"));
        Files.copy(Fixtures.bundle("tiny-rgb-pad").resolve("kodiak.json"),
                half.resolve("kodiak.json"));
        admin("POST", "/v2/repository/models/pets/load", null);
        assertThat(index("pets").get("4")[0], is("UNAVAILABLE"));
        assertThat(answered(), is("2"));
        // once it is whole it loads on the next load
        Files.copy(Fixtures.bundle("tiny-rgb-pad").resolve("model.onnx"),
                half.resolve("model.onnx"));
        Files.copy(Fixtures.bundle("tiny-rgb-pad").resolve("model.pt"), half.resolve("model.pt"));
        admin("POST", "/v2/repository/models/pets/load", null);
        assertThat(answered(), is("4"));
        // a model with no version that loads is a 400 naming why
        Repositories.broken(repo, "cats", 1, "tiny-rgb");
        OipClient.Reply cats = admin("POST", "/v2/repository/models/cats/load", null);
        assertThat(cats.status(), is(400));
        assertThat(cats.error(), containsString("version 1"));
        assertThat(admin("POST", "/v2/repository/models/dogs/load", null).status(), is(404));
    }

    @Test
    void trafficWeightsSplitAndARoutingKeyAlwaysLandsOnTheSameVersion() throws Exception {
        Repositories.version(repo, "pets", 1, "tiny-rgb-pad");
        Repositories.version(repo, "pets", 2, "tiny-rgb-squish");
        start(Map.of());
        java.net.http.HttpResponse<String> r = serving("pets",
                "{\"traffic\": {\"1\": 50, \"2\": 50}}");
        assertThat(r.body(), r.statusCode(), is(200));
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 60 && seen.size() < 2; i++) {
            seen.add(answered());
        }
        assertThat("both versions answer", seen, is(Set.of("1", "2")));
        for (int key = 0; key < 20; key++) {
            String first = answered("kodiak-routing-key", "user-" + key);
            for (int again = 0; again < 4; again++) {
                assertThat("key " + key, answered("kodiak-routing-key", "user-" + key),
                        is(first));
            }
        }
        // a weight on a version the repository does not have is refused, nothing changes
        java.net.http.HttpResponse<String> bad = serving("pets", "{\"traffic\": {\"7\": 100}}");
        assertThat(bad.statusCode(), is(400));
        assertThat(bad.body(), containsString("no version [7]"));
    }

    @Test
    void aShadowVersionGetsCopiesAndNeverAnswers() throws Exception {
        Repositories.version(repo, "pets", 1, "tiny-rgb-pad");
        Repositories.version(repo, "pets", 2, "tiny-rgb-squish");
        start(Map.of());
        java.net.http.HttpResponse<String> r = serving("pets",
                "{\"traffic\": {\"2\": 100}, \"shadow\": 1}");
        assertThat(r.body(), r.statusCode(), is(200));
        for (int i = 0; i < 20; i++) {
            assertThat("the shadow never answers", answered(), is("2"));
        }
        Repositories.await("the shadow's comparisons", Duration.ofSeconds(30), () -> {
            try {
                JsonObject m = admin("GET", "/admin/models/pets", null).json();
                JsonObject s = m.getJsonObject("shadow").getJsonObject("against_live_version")
                        .getJsonObject("2");
                return s != null && s.getInt("compared") >= 10;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        JsonObject shadow = admin("GET", "/admin/models/pets", null).json()
                .getJsonObject("shadow");
        assertThat(shadow.getString("version"), is("1"));
        JsonObject vs2 = shadow.getJsonObject("against_live_version").getJsonObject("2");
        assertThat(vs2.containsKey("agreement"), is(true));
        assertThat(vs2.getJsonNumber("agreement").doubleValue() <= 1.0, is(true));
        String metrics = server.get("/observe/metrics").body();
        assertThat(metrics, containsString("kodiak_shadow_answers_total{"));
        assertThat(metrics, containsString("live_version=\"2\""));
        // copies of OIP requests go to the shadow too
        assertThat(oip.post("/v2/models/pets/infer", OipClient.imagesJson(List.of(photo), null))
                .json().getString("model_version"), is("2"));
    }

    @Test
    void unloadThenLoad() throws Exception {
        Repositories.version(repo, "pets", 1, "tiny-rgb-pad");
        start(Map.of());
        assertThat(admin("POST", "/v2/repository/models/pets/unload",
                "{\"parameters\": {\"unload_dependents\": false}}").status(), is(200));
        assertThat(index("pets").get("1")[1], is("unloaded"));
        OipClient.Reply gone = oip.post("/api/v1/models/pets/classify", photo, "Content-Type",
                "image/png");
        assertThat(gone.status(), is(503));
        assertThat(oip.get("/v2/models/pets/ready").status(), is(400));
        assertThat(admin("POST", "/v2/repository/models/pets/load", null).status(), is(200));
        assertThat(answered(), is("1"));
        assertThat(oip.get("/v2/models/pets/ready").status(), is(200));
        assertThat(admin("POST", "/v2/repository/models/pets/load", "{\"parameters\": "
                + "{\"config\": \"{}\"}}").status(), is(400));
    }

    @Test
    void theAdminRoutesNeedTheToken() throws Exception {
        Repositories.version(repo, "pets", 1, "tiny-rgb-pad");
        start(Map.of());
        for (String path : List.of("/v2/repository/index", "/v2/repository/models/pets/load")) {
            OipClient.Reply none = oip.post(path, "");
            assertThat(none.status(), is(401));
            assertThat(none.error(), containsString("Bearer"));
            OipClient.Reply wrong = oip.post(path, "", "Authorization", "Bearer nope");
            assertThat(wrong.status(), is(401));
        }
        assertThat(oip.get("/admin/models").status(), is(401));
        assertThat(admin("GET", "/admin/models", null).status(), is(200));
    }

    @Test
    void aPollPicksUpNewAndRemovedVersions() throws Exception {
        Repositories.version(repo, "pets", 1, "tiny-rgb-pad");
        start(Map.of("KODIAK_MODEL_REPOSITORY_POLL", "PT0.2S"));
        assertThat(answered(), is("1"));
        Path v2 = Repositories.version(repo, "pets", 2, "tiny-rgb-squish");
        Repositories.await("version 2 to serve", Duration.ofSeconds(60), () -> {
            try {
                return answered().equals("2");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        try (Stream<Path> files = Files.list(v2)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.delete(f);
            }
        }
        Files.delete(v2);
        Repositories.await("version 1 to serve again", Duration.ofSeconds(60), () -> {
            try {
                return answered().equals("1");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        // a new model appears too
        Repositories.version(repo, "cats", 1, "tiny-rgb");
        Repositories.await("model cats", Duration.ofSeconds(60), () -> {
            try {
                return oip.get("/v2/models/cats/ready").status() == 200;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void theAdminRoutesCanHaveTheirOwnLoopbackPort() throws Exception {
        Repositories.version(repo, "pets", 1, "tiny-rgb-pad");
        start(Map.of("KODIAK_ADMIN_PORT", "0", "KODIAK_ADMIN_TOKEN", ""));
        int adminPort = server.server().adminPort();
        assertThat(adminPort, greaterThan(0));
        assertThat(adminPort, not(is(server.port())));
        OipClient.Reply main = oip.post("/v2/repository/index", "");
        assertThat(main.status(), is(403));
        assertThat(main.error(), containsString("127.0.0.1 port"));
        OipClient local = new OipClient(adminPort);
        OipClient.Reply index = local.post("/v2/repository/index", "");
        assertThat(index.text(), index.status(), is(200));
        assertThat(index.text(), containsString("\"name\":\"pets\""));
        assertThat(local.get("/admin/models").text(), containsString("pets"));
        assertThat("the API is not on the admin port",
                local.get("/api/v1/models").status(), is(404));
        List<String> versions = TestServer.json(server.get("/api/v1/models/pets"))
                .getJsonArray("versions").getValuesAs(v -> v.asJsonObject().getString("state"));
        assertThat(versions, hasItem("READY"));
    }
}
