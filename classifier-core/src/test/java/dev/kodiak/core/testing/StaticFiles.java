package dev.kodiak.core.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.GZIPOutputStream;

/**
 * A plain static file server, as a blog's host is: folders served under URL prefixes, with the
 * content types browsers insist on ({@code .mjs} as JavaScript, {@code .wasm} as WebAssembly),
 * {@code Last-Modified} and {@code ETag} so the browser's cache revalidates, optionally gzip for
 * text, scripts, JSON and WebAssembly (as GitHub Pages compresses them) and a CORS header. No
 * Kodiak code runs behind it. The JDK's {@code SimpleFileServer} serves {@code .mjs} as
 * {@code application/octet-stream}, which browsers refuse to import.
 *
 * <pre>{@code
 * try (StaticFiles host = StaticFiles.start(Map.of("/", site), true, false)) {
 *     browser.get(host.url("/index.html"));
 * }
 * }</pre>
 *
 * <p>Thread-safe; close it to stop.
 */
public final class StaticFiles implements AutoCloseable {
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("css", "text/css"),
            Map.entry("js", "text/javascript"), Map.entry("mjs", "text/javascript"),
            Map.entry("json", "application/json"), Map.entry("xml", "application/xml"),
            Map.entry("wasm", "application/wasm"), Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
            Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"),
            Map.entry("webp", "image/webp"), Map.entry("bmp", "image/bmp"),
            Map.entry("txt", "text/plain; charset=utf-8"));
    private static final List<String> COMPRESSED = List.of("html", "css", "js", "mjs", "json",
            "xml", "wasm", "svg", "txt");

    private final HttpServer server;
    private final ExecutorService threads;
    private final Map<String, Path> roots;
    private final boolean gzip;
    private final boolean cors;
    /** Compressed once per file version, so a large file does not cost its gzip per request. */
    private final Map<String, byte[]> compressed = new ConcurrentHashMap<>();

    private StaticFiles(HttpServer server, ExecutorService threads, Map<String, Path> roots,
            boolean gzip, boolean cors) {
        this.server = server;
        this.threads = threads;
        this.roots = roots;
        this.gzip = gzip;
        this.cors = cors;
    }

    /**
     * Starts a server on a free port of 127.0.0.1.
     *
     * @param roots URL prefixes (ending in /) and the folders they serve; the longest prefix wins
     * @param gzip whether to gzip compressible files for clients that accept it
     * @param cors whether to allow every origin ({@code Access-Control-Allow-Origin: *})
     * @return the running server
     * @throws IOException if it cannot listen
     */
    public static StaticFiles start(Map<String, Path> roots, boolean gzip, boolean cors)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(
                InetAddress.getLoopbackAddress(), 0), 64);
        ExecutorService threads = Executors.newFixedThreadPool(6);
        server.setExecutor(threads);
        Map<String, Path> sorted = new LinkedHashMap<>();
        roots.entrySet().stream().sorted((a, b) -> b.getKey().length() - a.getKey().length())
                .forEach(e -> sorted.put(e.getKey(), e.getValue().toAbsolutePath().normalize()));
        StaticFiles files = new StaticFiles(server, threads, sorted, gzip, cors);
        server.createContext("/", files::handle);
        server.start();
        return files;
    }

    /**
     * Returns the server's origin.
     *
     * @return {@code http://127.0.0.1:port}
     */
    public String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /**
     * Returns an absolute URL.
     *
     * @param path a path starting with /
     * @return the URL on this server
     */
    public String url(String path) {
        return origin() + path;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (cors) {
                exchange.getResponseHeaders().add("Access-Control-Allow-Origin", "*");
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            Path file = resolve(exchange.getRequestURI());
            if (file == null) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            String name = file.getFileName().toString();
            String extension = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
            String modified = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                    Files.getLastModifiedTime(file).toInstant().atOffset(ZoneOffset.UTC));
            String etag = "\"" + Long.toHexString(Files.size(file)) + "-"
                    + Long.toHexString(Files.getLastModifiedTime(file).toMillis()) + "\"";
            var headers = exchange.getResponseHeaders();
            headers.add("Content-Type", TYPES.getOrDefault(extension, "application/octet-stream"));
            headers.add("Last-Modified", modified);
            headers.add("ETag", etag);
            headers.add("Cache-Control", "max-age=600"); // what GitHub Pages sends
            if (etag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                exchange.sendResponseHeaders(304, -1);
                return;
            }
            byte[] body = Files.readAllBytes(file);
            String accepts = exchange.getRequestHeaders().getFirst("Accept-Encoding");
            if (gzip && COMPRESSED.contains(extension) && accepts != null
                    && accepts.contains("gzip")) {
                byte[] plain = body;
                body = compressed.computeIfAbsent(file + " " + etag, key -> gzip(plain));
                headers.add("Content-Encoding", "gzip");
                headers.add("Vary", "Accept-Encoding");
            }
            if (method.equals("HEAD")) {
                headers.add("Content-Length", Long.toString(body.length));
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } catch (IOException e) {
            // the browser went away mid-answer: nothing to do
        }
    }

    private Path resolve(URI uri) {
        String path = uri.getPath();
        for (Map.Entry<String, Path> root : roots.entrySet()) {
            if (!path.startsWith(root.getKey())) {
                continue;
            }
            Path file = root.getValue().resolve(path.substring(root.getKey().length()))
                    .normalize();
            if (!file.startsWith(root.getValue())) {
                return null;
            }
            if (Files.isDirectory(file)) {
                file = file.resolve("index.html");
            }
            return Files.isRegularFile(file) ? file : null;
        }
        return null;
    }

    /**
     * Compresses bytes as the server does.
     *
     * @param bytes the file
     * @return its gzip at the default level
     */
    public static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Stops the server. */
    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
