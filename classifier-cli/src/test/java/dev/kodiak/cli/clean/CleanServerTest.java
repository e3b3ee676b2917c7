package dev.kodiak.cli.clean;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.startsWith;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kodiak.cli.CliTest;
import dev.kodiak.cli.Exit;
import dev.kodiak.cli.LabelledFolder;
import dev.kodiak.cli.Sha256;
import dev.kodiak.cli.TestFolders;
import dev.kodiak.core.testing.Fixtures;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kodiak clean}'s server over plain HTTP: who may ask, what it answers, two at once. */
class CleanServerTest {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    private static CleanCommand.Running start(Path data) throws Exception {
        return CleanTest.start(new PrintStream(CleanTest.OutputStreamSink.INSTANCE),
                data.toString(), "--bundle", Fixtures.defaultBundle().toString(), "-q");
    }

    private static String base(CleanCommand.Running running) {
        return "http://127.0.0.1:" + running.server().port();
    }

    private HttpResponse<String> get(String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (token != null) {
            b.header(CleanServer.TOKEN_HEADER, token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(CleanCommand.Running running, String path, String json,
            String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base(running) + path))
                .header(CleanServer.TOKEN_HEADER, running.server().token())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        for (int i = 0; i < headers.length; i += 2) {
            b.setHeader(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject json(HttpResponse<String> response) {
        return JsonParser.parseString(response.body()).getAsJsonObject();
    }

    private static void assertError(HttpResponse<String> response, int status, String code,
            String message) {
        assertThat(response.body(), response.statusCode(), is(status));
        assertThat(response.headers().firstValue("Content-Type").orElse(""),
                startsWith("application/json"));
        JsonObject error = json(response).getAsJsonObject("error");
        assertThat(error.get("code").getAsString(), is(code));
        assertThat(error.get("message").getAsString(), containsString(message));
    }

    private JsonArray cards(CleanCommand.Running running, String view) throws Exception {
        String token = running.server().token();
        JsonArray keys = json(get(base(running) + "/api/view?name=" + view, token))
                .getAsJsonArray("keys");
        List<String> list = new ArrayList<>();
        keys.forEach(k -> list.add(k.getAsString()));
        return json(get(base(running) + "/api/cards?keys=" + String.join(",", list), token))
                .getAsJsonArray("cards");
    }

    @Test
    void everyRouteRefusesARequestWithoutTheRightToken() throws Exception {
        TestFolders.Planted planted = TestFolders.planted(tmp.resolve("data"));
        try (CleanCommand.Running running = start(planted.root())) {
            String token = running.server().token();
            String sha = Sha256.of(planted.root().resolve(planted.original()));
            List<String> routes = List.of("/", "/api/state", "/api/view?name=all",
                    "/api/cards?keys=i0", "/thumb/" + sha, "/no/such/route");
            for (String route : routes) {
                assertError(get(base(running) + route, null), 403, "forbidden",
                        "No token: open the address kodiak clean printed");
                assertError(get(base(running) + route, "not-" + token), 403, "forbidden",
                        "Wrong token");
                String sep = route.contains("?") ? "&" : "?";
                assertError(get(base(running) + route + sep + "token=" + token.substring(1),
                        null), 403, "forbidden", "Wrong token");
            }
            HttpResponse<String> act = http.send(HttpRequest.newBuilder(URI.create(base(running)
                    + "/api/act")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"item\":0,\"action\":\"keep\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertError(act, 403, "forbidden", "No token");
            assertThat("nothing was journaled", CleanFolders.journal(planted.root()), is(empty()));

            // with the token: the page (token in the address), the API (header), thumbnails
            HttpResponse<String> page = get(running.url().toString(), null);
            assertThat(page.statusCode(), is(200));
            assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""),
                    containsString("default-src 'none'"));
            assertThat(page.body(), containsString("<title>kodiak clean</title>"));
            assertThat(get(base(running) + "/api/state", token).statusCode(), is(200));
            HttpResponse<byte[]> thumb = http.send(HttpRequest.newBuilder(URI.create(
                    base(running) + "/thumb/" + sha + "?token=" + token)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(thumb.statusCode(), is(200));
            assertThat(thumb.headers().firstValue("Content-Type").orElse(""), is("image/png"));
            assertError(get(base(running) + "/no/such/route", token), 404, "not_found",
                    "Nothing at /no/such/route");
        }
    }

    @Test
    void foreignHostsSitesAndOriginsAreRefusedAndOnlyLoopbackListens() throws Exception {
        TestFolders.Planted planted = TestFolders.planted(tmp.resolve("data"));
        try (CleanCommand.Running running = start(planted.root())) {
            String token = running.server().token();
            int port = running.server().port();
            // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                OutputStream out = socket.getOutputStream();
                out.write(("GET /api/state HTTP/1.1\r\nHost: evil.example:" + port + "\r\n"
                        + CleanServer.TOKEN_HEADER + ": " + token + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String answer = new String(socket.getInputStream().readAllBytes(),
                        StandardCharsets.UTF_8);
                assertThat(answer, startsWith("HTTP/1.1 403"));
                assertThat(answer, containsString("The Host header (evil.example:" + port
                        + ") is not this server's"));
            }
            assertError(post(running, "/api/act", "{\"item\":0,\"action\":\"keep\"}",
                    "Origin", "http://evil.example"), 403, "forbidden",
                    "Refused a request from http://evil.example");
            assertError(http.send(HttpRequest.newBuilder(URI.create(base(running)
                    + "/api/state")).header(CleanServer.TOKEN_HEADER, token)
                    .header("Sec-Fetch-Site", "cross-site").build(),
                    HttpResponse.BodyHandlers.ofString()), 403, "forbidden",
                    "another site (Sec-Fetch-Site: cross-site)");
            assertError(post(running, "/api/act", "{\"item\":0,\"action\":\"keep\"}",
                    "Content-Type", "text/plain"), 415, "unsupported_media_type",
                    "Send a JSON body");
            assertError(get(base(running) + "/api/act", token), 405, "method_not_allowed",
                    "GET is not allowed here; use POST");
            assertThat(CleanFolders.journal(planted.root()), is(empty()));
            // the page's own origin may act
            assertThat(post(running, "/api/act", "{\"item\":0,\"action\":\"keep\"}", "Origin",
                    "http://127.0.0.1:" + port).statusCode(), is(200));

            // a second page on a port in use, or on a folder that is not there, is refused
            CliTest.Run taken = CliTest.run("clean", planted.root().toString(), "--bundle",
                    Fixtures.defaultBundle().toString(), "-q", "--port", String.valueOf(port));
            assertThat(taken.exit(), is(Exit.USAGE));
            assertThat(taken.err(), containsString("Port " + port + " on 127.0.0.1 is in use; "
                    + "choose another with --port"));
            CliTest.Run missing = CliTest.run("clean", tmp.resolve("nowhere").toString(), "-q");
            assertThat(missing.exit(), is(Exit.USAGE));
            assertThat(missing.err(), containsString("No folder at"));

            // nothing listens on this machine's other addresses
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                    if (address.isLoopbackAddress() || address.isLinkLocalAddress()) {
                        continue;
                    }
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress(address, port), 2000);
                        throw new AssertionError("the server answers on " + address);
                    } catch (java.io.IOException expected) {
                        // refused: bound to 127.0.0.1 only
                    }
                }
            }
        }
    }

    /** A body that is not one JSON object is told so in words, not in the parser's. */
    @Test
    void aBodyThatIsNotAnObjectIsToldSo() throws Exception {
        TestFolders.Planted planted = TestFolders.planted(tmp.resolve("data"));
        try (CleanCommand.Running running = start(planted.root())) {
            assertError(post(running, "/api/act", "{\"item\": 0, \"action"), 400,
                    "bad_request", "The body is not JSON (it stops being JSON at line 1, column "
                    + "20); send one object, such as {\"item\": 0, \"action\": \"keep\"}");
            assertError(post(running, "/api/act", "{'item': 0}"), 400, "bad_request",
                    "The body is not JSON (it stops being JSON at line 1, column 3); send one "
                    + "object, such as {\"item\": 0, \"action\": \"keep\"}");
            assertError(post(running, "/api/act", "[0, \"keep\"]"), 400, "bad_request",
                    "The body must be one JSON object, such as {\"item\": 0, \"action\": "
                    + "\"keep\"}, not an array");
            assertThat(CleanFolders.journal(planted.root()), is(empty()));
        }
    }

    @Test
    void thumbnailsAreOrientedUnreadableFilesListedAndChangedFilesRefused() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data/bag"));
        Files.copy(Fixtures.image("jpeg-exif-6.jpg").path(), data.resolve("photo.jpg"));
        Files.write(data.resolve("00001.png"), TestFolders.png(1));
        Files.copy(Fixtures.image("html-renamed.jpg").path(), data.resolve("page.jpg"));
        Path root = data.getParent();
        try (CleanCommand.Running running = start(root)) {
            String token = running.server().token();
            JsonArray unreadable = cards(running, "unreadable");
            assertThat(unreadable.size(), is(1));
            JsonObject broken = unreadable.get(0).getAsJsonObject();
            assertThat(broken.get("path").getAsString(), is("bag/page.jpg"));
            assertThat(broken.getAsJsonObject("unreadable").get("reason").getAsString(),
                    is("NOT_AN_IMAGE"));

            // EXIF orientation 6: stored 120x180, shown 180x120
            BufferedImage stored = ImageIO.read(data.resolve("photo.jpg").toFile());
            assertThat(stored.getWidth(), lessThan(stored.getHeight()));
            String sha = Sha256.of(data.resolve("photo.jpg"));
            HttpResponse<byte[]> thumb = http.send(HttpRequest.newBuilder(URI.create(
                    base(running) + "/thumb/" + sha + "?token=" + token)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(thumb.body()));
            assertThat(image.getWidth(), is(CleanServer.THUMBNAIL));
            assertThat(image.getHeight(), is(75));
            assertThat(thumb.headers().firstValue("Cache-Control").orElse(""),
                    containsString("immutable"));
            HttpResponse<byte[]> again = http.send(HttpRequest.newBuilder(URI.create(
                    base(running) + "/thumb/" + sha + "?token=" + token)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(again.body(), is(thumb.body()));
            assertError(get(base(running) + "/thumb/" + Sha256.of(data.resolve("page.jpg")),
                    token), 404, "not_found", "No readable image with sha256");

            // the unreadable file is quarantined, keeping its path
            int brokenItem = broken.get("item").getAsInt();
            HttpResponse<String> moved = post(running, "/api/act", "{\"item\":" + brokenItem
                    + ",\"action\":\"quarantine\",\"last\":0}");
            assertThat(moved.body(), moved.statusCode(), is(200));
            assertThat(json(moved).get("message").getAsString(), is("Quarantined bag/page.jpg "
                    + "(now .kodiak-clean/quarantine/bag/page.jpg)"));
            assertThat(Files.exists(root.resolve(".kodiak-clean/quarantine/bag/page.jpg")),
                    is(true));
            assertThat(cards(running, "unreadable").size(), is(0));

            // a file changed since scoring is not moved
            JsonObject photo = null;
            for (JsonElement c : cards(running, "all")) {
                if (c.getAsJsonObject().get("path").getAsString().equals("bag/photo.jpg")) {
                    photo = c.getAsJsonObject();
                }
            }
            Files.write(data.resolve("photo.jpg"), TestFolders.png(2));
            assertError(post(running, "/api/act", "{\"item\":" + photo.get("item").getAsInt()
                    + ",\"action\":\"relabel\",\"label\":0}"), 409, "conflict",
                    "bag/photo.jpg changed on disk since it was scored (its sha256 differs); "
                    + "nothing was changed. Re-evaluate to see it as it is now.");
            assertThat(Files.readAllBytes(data.resolve("photo.jpg")), is(TestFolders.png(2)));
            assertThat(Files.exists(root.resolve("t-shirt-top")), is(false));
            assertThat(CleanFolders.journal(root).size(), is(2));
        }
    }

    @Test
    void duplicatesCarryTheirDistanceToTheKeptOne() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data/bag"));
        Files.write(data.resolve("00001.png"), TestFolders.png(1));
        Files.write(data.resolve("00001-copy.png"), TestFolders.png(1));
        BufferedImage garment = ImageIO.read(new ByteArrayInputStream(TestFolders.png(1)));
        ImageIO.write(garment, "jpeg", data.resolve("00001.jpg").toFile());
        Files.write(data.resolve("00002.png"), TestFolders.png(2));
        try (CleanCommand.Running running = start(data.getParent())) {
            JsonArray duplicates = cards(running, "duplicates");
            assertThat(duplicates.size(), is(3));
            JsonObject kept = duplicates.get(0).getAsJsonObject().getAsJsonObject("group");
            assertThat(kept.get("keep").getAsBoolean(), is(true));
            assertThat(kept.get("distance").getAsDouble(), is(0.0));
            String keptPath = kept.get("keep_path").getAsString();
            Map<String, JsonObject> others = new TreeMap<>();
            for (int i = 1; i < 3; i++) {
                JsonObject card = duplicates.get(i).getAsJsonObject();
                JsonObject group = card.getAsJsonObject("group");
                assertThat(group.get("keep").getAsBoolean(), is(false));
                assertThat(group.get("keep_path").getAsString(), is(keptPath));
                others.put(group.get("match").getAsString(), group);
            }
            // the JPEG is the largest file, so kept, or else one of the PNGs: then the other
            // PNG has its bytes
            if (keptPath.endsWith(".jpg")) {
                assertThat(others.keySet(), is(java.util.Set.of("near")));
            } else {
                assertThat(others.get("same bytes").get("distance").getAsDouble(), is(0.0));
            }
            double near = others.get("near").get("distance").getAsDouble();
            assertThat(near, greaterThan(0.0));
            assertThat(near, lessThan(4.0));
        }
    }

    @Test
    void whatWasKeptOrMovedStaysReviewedInTheNextRun() throws Exception {
        TestFolders.Planted planted = TestFolders.planted(tmp.resolve("data"));
        Path data = planted.root();
        long keptAction;
        String kept;
        try (CleanCommand.Running first = start(data)) {
            JsonObject wrong = cards(first, "mislabeled").get(0).getAsJsonObject();
            int right = LabelledFolder.labelOf(planted.mislabels().get(wrong.get("path")
                    .getAsString()), TestFolders.labels());
            assertThat(post(first, "/api/act", "{\"item\":" + wrong.get("item").getAsInt()
                    + ",\"action\":\"relabel\",\"label\":" + right + "}").statusCode(), is(200));
            JsonObject fine = cards(first, "all").get(5).getAsJsonObject();
            kept = fine.get("path").getAsString();
            HttpResponse<String> keep = post(first, "/api/act", "{\"item\":"
                    + fine.get("item").getAsInt() + ",\"action\":\"keep\"}");
            assertThat(json(keep).get("message").getAsString(), is("Kept " + kept
                    + "; it will not be shown again"));
            keptAction = json(keep).getAsJsonObject("card").getAsJsonObject("action")
                    .get("id").getAsLong();
        }
        try (CleanCommand.Running second = start(data)) {
            JsonObject views = json(get(base(second) + "/api/state", second.server().token()))
                    .getAsJsonObject("views");
            assertThat(views.get("mislabeled").getAsInt(), is(2));
            assertThat("24 images less the relabelled and the kept one",
                    views.get("all").getAsInt(), is(22));
            assertThat(views.get("done").getAsInt(), is(2));
            JsonArray done = cards(second, "done");
            assertThat(done.get(0).getAsJsonObject().get("path").getAsString(), is(kept));
            assertThat(done.get(0).getAsJsonObject().getAsJsonObject("action").get("action")
                    .getAsString(), is("keep"));
            HttpResponse<String> undo = post(second, "/api/undo", "{\"action\":" + keptAction
                    + "}");
            assertThat(json(undo).get("message").getAsString(), is("Undid keep of " + kept));
            assertThat(json(undo).getAsJsonObject("views").get("all").getAsInt(), is(23));
        }
    }

    @Test
    void twoPagesOnEachOfTwoServersActingAtOnceKeepTheJournalAndTreeIntact() throws Exception {
        TestFolders.Planted planted = TestFolders.planted(tmp.resolve("data"));
        Path data = planted.root();
        Map<String, String> original = CleanFolders.tree(data);
        try (CleanCommand.Running a = start(data); CleanCommand.Running b = start(data)) {
            List<CleanCommand.Running> pages = List.of(a, a, b, b);
            int items = cards(a, "all").size();
            assertThat(items, is(original.size()));
            String[] actions = {"relabel", "quarantine", "keep"};
            Map<Integer, AtomicInteger> succeeded = new ConcurrentHashMap<>();
            List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool = Executors.newFixedThreadPool(pages.size());
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int p = 0; p < pages.size(); p++) {
                CleanCommand.Running page = pages.get(p);
                Random random = new Random(p);
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < items; i++) {
                    order.add(i);
                }
                Collections.shuffle(order, random);
                done.add(pool.submit(() -> {
                    go.await();
                    for (int item : order) {
                        String action = actions[random.nextInt(actions.length)];
                        HttpResponse<String> r = post(page, "/api/act", "{\"item\":" + item
                                + ",\"action\":\"" + action + "\",\"label\":" + random.nextInt(10)
                                + ",\"last\":0}");
                        if (r.statusCode() == 200) {
                            succeeded.computeIfAbsent(item, k -> new AtomicInteger())
                                    .incrementAndGet();
                        } else if (r.statusCode() != 409) {
                            unexpected.add(r.statusCode() + " " + r.body());
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get();
            }
            pool.shutdown();
            assertThat(unexpected, is(empty()));
            for (Map.Entry<Integer, AtomicInteger> e : succeeded.entrySet()) {
                assertThat("item " + e.getKey() + " acted on once", e.getValue().get(), is(1));
            }
            assertThat("every item was acted on, unless its relabel named its own folder",
                    succeeded.size(), greaterThan(items / 2));

            List<JsonObject> journal = CleanFolders.journal(data);
            CleanFolders.assertWellFormed(journal);
            Map<String, Integer> shasNow = shaCounts(data, true);
            Map<String, Integer> shasBefore = new TreeMap<>();
            original.values().forEach(s -> shasBefore.merge(s, 1, Integer::sum));
            assertThat("every file is somewhere, once", shasNow, is(shasBefore));
            for (JsonObject line : journal) {
                if (line.get("phase").getAsString().equals("done")
                        && !line.get("from").equals(line.get("to"))) {
                    assertThat(line.toString(), Files.exists(data.resolve(
                            line.get("to").getAsString())), is(true));
                }
            }

            // both servers now undo every action at once: each is undone exactly once
            List<Long> ids = new ArrayList<>();
            for (JsonElement c : cards(a, "done")) {
                ids.add(c.getAsJsonObject().getAsJsonObject("action").get("id").getAsLong());
            }
            assertThat(ids.size(), is(succeeded.size()));
            Map<Long, AtomicInteger> undone = new ConcurrentHashMap<>();
            ExecutorService undoers = Executors.newFixedThreadPool(2);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> undos = new ArrayList<>();
            for (CleanCommand.Running page : List.of(a, b)) {
                undos.add(undoers.submit(() -> {
                    start.await();
                    for (long id : ids) {
                        HttpResponse<String> r = post(page, "/api/undo", "{\"action\":" + id + "}");
                        if (r.statusCode() == 200) {
                            undone.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                        } else if (r.statusCode() != 409) {
                            unexpected.add(r.statusCode() + " " + r.body());
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : undos) {
                f.get();
            }
            undoers.shutdown();
            assertThat(unexpected, is(empty()));
            assertThat(undone.keySet(), is(new HashSet<>(ids)));
            undone.values().forEach(n -> assertThat(n.get(), is(1)));
            CleanFolders.assertWellFormed(CleanFolders.journal(data));
            assertThat(CleanFolders.tree(data), is(original));
        }
    }

    /** How many files have each content, including the quarantine. */
    static Map<String, Integer> shaCounts(Path root, boolean withQuarantine) throws Exception {
        Map<String, Integer> counts = new TreeMap<>();
        try (var walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                String rel = root.relativize(p).toString();
                if (rel.equals(Journal.DIR + "/journal.jsonl")
                        || (!withQuarantine && rel.startsWith(Journal.DIR))) {
                    continue;
                }
                counts.merge(Sha256.of(p), 1, Integer::sum);
            }
        }
        return counts;
    }
}
