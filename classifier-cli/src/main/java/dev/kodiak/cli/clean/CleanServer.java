package dev.kodiak.cli.clean;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kodiak.cli.EvaluationReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The local web server of {@code kodiak clean}: the page, its JSON API and the thumbnails, on
 * the JDK's own HTTP server, bound to 127.0.0.1 only.
 *
 * <p>Every request must carry the random token printed with the URL (query parameter
 * {@code token}, or header {@code X-Kodiak-Token}), compared in constant time; the Host header
 * must name this server (so a DNS-rebinding page cannot reach it); requests another site makes
 * (by {@code Sec-Fetch-Site} or {@code Origin}) are refused; and actions are JSON POSTs. Every
 * refusal is a 403 with a JSON error, as every other error:
 * {@code {"error": {"code": "...", "message": "..."}}}.
 *
 * <p>Thread-safe; requests run on virtual threads.
 */
final class CleanServer implements AutoCloseable {
    /** The header the page sends its token in. */
    static final String TOKEN_HEADER = "X-Kodiak-Token";
    /** The thumbnails' box, as the evaluate report's. */
    static final int THUMBNAIL = 112;
    /** The box of the larger view a card opens ({@code ?size=512}). */
    static final int PREVIEW = 512;

    private static final System.Logger LOG = System.getLogger(CleanServer.class.getName());
    private static final int MAX_BODY = 64 * 1024;
    private static final int MAX_CARDS = 500;
    /** A body the API takes, for messages. */
    private static final String EXAMPLE = "{\"item\": 0, \"action\": \"keep\"}";
    /** Where Gson stopped reading: {@code at line 1 column 9}. */
    private static final Pattern POSITION = Pattern.compile(" at line (\\d+) column (\\d+)");

    private final CleanSession session;
    private final HttpServer server;
    private final ExecutorService executor;
    private final String token;
    private final Set<String> hosts;
    private final Set<String> origins;
    private final ThumbnailCache thumbnails;
    private final ThumbnailCache previews;
    private final String page;
    private final SecureRandom random;

    private CleanServer(CleanSession session, HttpServer server, ExecutorService executor,
            SecureRandom random) {
        this.session = session;
        this.server = server;
        this.executor = executor;
        this.random = random;
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        this.token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        int port = server.getAddress().getPort();
        this.hosts = Set.of("127.0.0.1:" + port, "localhost:" + port);
        this.origins = Set.of("http://127.0.0.1:" + port, "http://localhost:" + port);
        this.thumbnails = new ThumbnailCache(THUMBNAIL, 192L << 20);
        this.previews = new ThumbnailCache(PREVIEW, 64L << 20);
        try (InputStream in = CleanServer.class.getResourceAsStream("clean.html")) {
            this.page = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("/*{{REPORT_CSS}}*/", EvaluationReport.CSS);
        } catch (IOException e) {
            throw new UncheckedIOException("clean.html is missing from the jar", e);
        }
    }

    /**
     * Starts serving a session on 127.0.0.1.
     *
     * @param session what to serve
     * @param port the port, or 0 for any free one
     * @return the running server; close it to stop
     * @throws IOException if the port cannot be bound
     */
    static CleanServer start(CleanSession session, int port) throws IOException {
        InetAddress loopback = InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        HttpServer http = HttpServer.create(new InetSocketAddress(loopback, port), 64);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        CleanServer server = new CleanServer(session, http, executor, new SecureRandom());
        http.createContext("/", server::handle);
        http.setExecutor(executor);
        http.start();
        return server;
    }

    /** @return the port the server listens on */
    int port() {
        return server.getAddress().getPort();
    }

    /** @return the page's address, token included */
    URI url() {
        return URI.create("http://127.0.0.1:" + port() + "/?token=" + token);
    }

    /** @return the token (for tests and the page's own requests) */
    String token() {
        return token;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange x) {
        try (x) {
            Headers h = x.getResponseHeaders();
            h.set("X-Content-Type-Options", "nosniff");
            h.set("Referrer-Policy", "no-referrer");
            h.set("X-Frame-Options", "DENY");
            h.set("Cross-Origin-Resource-Policy", "same-origin");
            h.set("Cache-Control", "no-store");
            try {
                String refusal = refusal(x);
                if (refusal != null) {
                    throw new Refused(Refused.Kind.FORBIDDEN, refusal);
                }
                route(x);
            } catch (Refused e) {
                error(x, e.kind().status(), e.kind().code(), e.getMessage());
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "kodiak clean: " + x.getRequestMethod() + " "
                        + x.getRequestURI().getPath() + " failed", e);
                // the details go to the terminal; the page gets no absolute path
                error(x, 500, "internal", "The server failed: " + session.journal().describe(e)
                        + " (a bug of kodiak clean, or the disk failed; the terminal where it "
                        + "runs has the details); nothing was changed unless the journal says "
                        + "so");
            }
        } catch (IOException e) {
            // the page went away mid-answer
        }
    }

    /** @return why the request is refused (403), or null if it may go on */
    private String refusal(HttpExchange x) {
        Headers in = x.getRequestHeaders();
        String host = in.getFirst("Host");
        if (host == null || !hosts.contains(host.toLowerCase(java.util.Locale.ROOT))) {
            return "The Host header (" + host + ") is not this server's (127.0.0.1:" + port()
                    + "); open the address kodiak clean printed";
        }
        String given = in.getFirst(TOKEN_HEADER);
        if (given == null) {
            given = query(x).get("token");
        }
        if (given == null || given.isEmpty()) {
            return "No token: open the address kodiak clean printed, which carries it "
                    + "(http://127.0.0.1:" + port() + "/?token=...)";
        }
        if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8))) {
            return "Wrong token: open the address this run of kodiak clean printed (each run "
                    + "has a new one)";
        }
        String site = in.getFirst("Sec-Fetch-Site");
        if (site != null && !site.equals("same-origin") && !site.equals("none")) {
            return "Refused a request made by another site (Sec-Fetch-Site: " + site + ")";
        }
        String origin = in.getFirst("Origin");
        if (origin != null && !x.getRequestMethod().equals("GET")
                && !origins.contains(origin.toLowerCase(java.util.Locale.ROOT))) {
            return "Refused a request from " + origin + "; only kodiak clean's own page may act";
        }
        return null;
    }

    private void route(HttpExchange x) throws Refused, IOException {
        String path = x.getRequestURI().getPath();
        String method = x.getRequestMethod();
        if (path.startsWith("/thumb/")) {
            allow(method, "GET");
            thumbnail(x, path.substring("/thumb/".length()));
            return;
        }
        switch (path) {
            case "/" -> {
                allow(method, "GET");
                byte[] nonce = new byte[18];
                random.nextBytes(nonce);
                String n = Base64.getEncoder().encodeToString(nonce);
                x.getResponseHeaders().set("Content-Security-Policy", "default-src 'none'; "
                        + "script-src 'nonce-" + n + "'; style-src 'nonce-" + n + "'; "
                        + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                        + "form-action 'none'; frame-ancestors 'none'");
                send(x, 200, "text/html; charset=utf-8", page.replace("{{NONCE}}", n)
                        .getBytes(StandardCharsets.UTF_8));
            }
            case "/api/state" -> {
                allow(method, "GET");
                json(x, 200, CleanJson.state(session.state()));
            }
            case "/api/view" -> {
                allow(method, "GET");
                View view = View.of(query(x).getOrDefault("name", ""));
                json(x, 200, CleanJson.view(view, session.view(view)));
            }
            case "/api/cards" -> {
                allow(method, "GET");
                String keys = query(x).getOrDefault("keys", "");
                List<String> list = keys.isEmpty() ? List.of() : Arrays.asList(keys.split(","));
                if (list.size() > MAX_CARDS) {
                    throw new Refused(Refused.Kind.BAD_REQUEST, "Ask for at most " + MAX_CARDS
                            + " cards at once, not " + list.size());
                }
                json(x, 200, CleanJson.cards(session.cards(list)));
            }
            case "/api/act" -> {
                allow(method, "POST");
                JsonObject body = body(x);
                json(x, 200, CleanJson.answer(session.act(integer(body, "item"),
                        action(text(body, "action")), body.has("label")
                                && !body.get("label").isJsonNull() ? integer(body, "label") : null,
                        body.has("last") ? integer(body, "last") : -1)));
            }
            case "/api/undo" -> {
                allow(method, "POST");
                json(x, 200, CleanJson.answer(session.undo(integer(body(x), "action"))));
            }
            case "/api/reevaluate" -> {
                allow(method, "POST");
                body(x);
                json(x, 202, CleanJson.started(session.reevaluate()));
            }
            default -> throw new Refused(Refused.Kind.NOT_FOUND, "Nothing at " + path
                    + "; the page is at /");
        }
    }

    private void thumbnail(HttpExchange x, String sha256) throws Refused,
            IOException {
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new Refused(Refused.Kind.NOT_FOUND, "Thumbnails are named by a sha256 (64 hex "
                    + "digits), not '" + sha256 + "'");
        }
        String size = query(x).getOrDefault("size", String.valueOf(THUMBNAIL));
        ThumbnailCache cache = switch (size) {
            case "" + THUMBNAIL -> thumbnails;
            case "" + PREVIEW -> previews;
            default -> throw new Refused(Refused.Kind.BAD_REQUEST, "size is " + THUMBNAIL + " or "
                    + PREVIEW + ", not " + size);
        };
        Path file = session.locate(sha256);
        byte[] png = file == null ? null : cache.get(sha256, file);
        if (png == null) {
            throw new Refused(Refused.Kind.NOT_FOUND, "No readable image with sha256 " + sha256
                    + " in the folder");
        }
        // the address names the content, so the browser may keep it
        x.getResponseHeaders().set("Cache-Control", "private, max-age=86400, immutable");
        send(x, 200, "image/png", png);
    }

    private static void allow(String method, String allowed) throws Refused {
        if (!method.equals(allowed)) {
            throw new Refused(Refused.Kind.METHOD_NOT_ALLOWED, method + " is not allowed here; use "
                    + allowed);
        }
    }

    private static JsonObject body(HttpExchange x) throws Refused, IOException {
        String type = x.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT)
                .startsWith("application/json")) {
            throw new Refused(Refused.Kind.UNSUPPORTED_MEDIA_TYPE, "Send a JSON body "
                    + "(Content-Type: application/json), not " + type);
        }
        byte[] bytes = x.getRequestBody().readNBytes(MAX_BODY + 1);
        if (bytes.length > MAX_BODY) {
            throw new Refused(Refused.Kind.TOO_LARGE, "The body is over " + MAX_BODY + " bytes");
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            return new JsonObject();
        }
        JsonElement e;
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            e = JsonParser.parseReader(reader);
        } catch (JsonParseException ex) {
            // where it went wrong, not the parser's own words
            Throwable cause = ex.getCause() != null ? ex.getCause() : ex;
            Matcher at = POSITION.matcher(String.valueOf(cause.getMessage()));
            throw new Refused(Refused.Kind.BAD_REQUEST, "The body is not JSON" + (at.find()
                    ? " (it stops being JSON at line " + at.group(1) + ", column " + at.group(2)
                    + ")" : "") + "; send one object, such as " + EXAMPLE);
        }
        if (!e.isJsonObject()) {
            throw new Refused(Refused.Kind.BAD_REQUEST, "The body must be one JSON object, such "
                    + "as " + EXAMPLE + ", not " + (e.isJsonArray() ? "an array" : "a single "
                    + "value"));
        }
        return e.getAsJsonObject();
    }

    private static int integer(JsonObject body, String key) throws Refused {
        try {
            return body.get(key).getAsInt();
        } catch (RuntimeException e) {
            throw new Refused(Refused.Kind.BAD_REQUEST, "The body needs \"" + key
                    + "\" as a number");
        }
    }

    private static String text(JsonObject body, String key) throws Refused {
        try {
            return body.get(key).getAsString();
        } catch (RuntimeException e) {
            throw new Refused(Refused.Kind.BAD_REQUEST, "The body needs \"" + key
                    + "\" as a string");
        }
    }

    /** The action a card asks for; undo has a route of its own. */
    private static Action action(String text) throws Refused {
        for (Action a : Action.values()) {
            if (a.onCard() && a.json().equals(text)) {
                return a;
            }
        }
        throw new Refused(Refused.Kind.BAD_REQUEST, "Unknown action '" + text + "'; use "
                + "relabel, quarantine or keep");
    }

    private static Map<String, String> query(HttpExchange x) {
        Map<String, String> params = new HashMap<>();
        String raw = x.getRequestURI().getRawQuery();
        if (raw == null) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            try {
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq),
                        StandardCharsets.UTF_8);
                params.putIfAbsent(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1),
                        StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                // a malformed %-escape: the parameter is ignored (a token then counts as absent)
            }
        }
        return params;
    }

    private static void json(HttpExchange x, int status, JsonElement body) throws IOException {
        send(x, status, "application/json; charset=utf-8",
                body.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void error(HttpExchange x, int status, String code, String message)
            throws IOException {
        json(x, status, CleanJson.error(code, message));
    }

    private static void send(HttpExchange x, int status, String type, byte[] body)
            throws IOException {
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            x.getResponseBody().write(body);
        }
    }
}
