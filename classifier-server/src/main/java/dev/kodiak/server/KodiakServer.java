package dev.kodiak.server;

import dev.kodiak.server.json.Responses;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.http.HttpMediaType;
import io.helidon.http.Method;
import io.helidon.http.NotFoundException;
import io.helidon.http.PathMatchers;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.cors.CorsFeature;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.helidon.webserver.staticcontent.StaticContentFeature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The running server: models, the JSON API, health and metrics under {@code /observe}, CORS,
 * and the blog at {@code /}.
 *
 * <pre>{@code
 * KodiakServer server = KodiakServer.start(settings, Throwable::printStackTrace);
 * server.awaitReady(Duration.ofSeconds(60));
 * ...
 * server.stop();   // in-flight requests finish, new connections are refused
 * }</pre>
 */
public final class KodiakServer {
    private static final System.Logger LOG = System.getLogger(KodiakServer.class.getName());
    /** Where the site module puts the built blog on the class path. */
    static final String SITE_ON_CLASSPATH = "kodiak-site";

    private final ModelRegistry registry;
    private final ServerMetrics metrics;
    private final ClassifyService api;
    private final WebServer server;

    private KodiakServer(ModelRegistry registry, ServerMetrics metrics, ClassifyService api,
            WebServer server) {
        this.registry = registry;
        this.metrics = metrics;
        this.api = api;
        this.server = server;
    }

    /**
     * Checks the bundles, starts listening, and loads the models in the background (the
     * readiness check turns UP once they are warmed up).
     *
     * @param settings what to serve and how
     * @param onFatal called if a model fails to load after the start (the command line exits)
     * @return the running server
     * @throws ServerSettings.InvalidSettingsException if a bundle is unusable, naming its key
     */
    public static KodiakServer start(ServerSettings settings, Consumer<Throwable> onFatal) {
        ServerMetrics metrics = new ServerMetrics();
        ModelRegistry registry = new ModelRegistry(settings, metrics, onFatal);
        for (ModelRegistry.Model model : registry.models()) {
            metrics.queueDepth(model.name(), () -> {
                Batcher b = model.batcher();
                return b == null ? 0 : b.queueDepth();
            });
        }
        ClassifyService api = new ClassifyService(registry, settings, metrics);
        WebServerConfig.Builder builder = WebServer.builder()
                .host(settings.host())
                .port(settings.port())
                // Kodiak checks max-body-bytes itself, answers 413 and drains what the client
                // still sends; Helidon's own check is the backstop for bodies too large to
                // drain and for routes that do not read their body
                .maxPayloadSize(BodyReader.backstop(settings.maxBodyBytes()))
                // more at once get a 503 from Helidon before they take any memory
                .maxConcurrentRequests(settings.maxConcurrentRequests())
                .shutdownGracePeriod(settings.shutdownGrace())
                // each write goes out at once: with Nagle's algorithm on, an answer longer
                // than one write (every label's probability from /predict) waited out the
                // client's 40 ms delayed ACK
                .connectionOptions(socket -> socket.tcpNoDelay(true))
                .shutdownHook(false)
                .directHandlers(jsonDirectHandlers())
                .addFeature(cors(settings))
                .addFeature(ObserveFeature.builder()
                        .addObserver(HealthObserver.builder().details(true)
                                .addCheck(() -> readiness(registry), HealthCheckType.READINESS,
                                        "models")
                                .build())
                        .addObserver(MetricsObserver.create())
                        .build())
                .routing(routing -> routing(routing, api, metrics));
        StaticContentFeature site = site(settings);
        if (site != null) {
            builder.addFeature(site);
        }
        WebServer server = builder.build().start();
        registry.startLoading();
        LOG.log(System.Logger.Level.INFO, "Kodiak listening on http://localhost:{0}/ with models "
                + "{1} (default {2})", Integer.toString(server.port()),
                settings.models().keySet(), settings.defaultModel());
        return new KodiakServer(registry, metrics, api, server);
    }

    /** The API routes, their error handling and the request metrics. */
    static void routing(HttpRouting.Builder routing, ClassifyService api, ServerMetrics metrics) {
        routing.addFilter((chain, req, res) -> {
            long start = System.nanoTime();
            try {
                chain.proceed();
            } finally {
                metrics.request(route(req.path().path()), res.status().code(),
                        System.nanoTime() - start);
            }
        });
        routing.register(api);
        for (String path : new String[] {ClassifyService.MODELS, ClassifyService.MODEL,
            ClassifyService.CLASSIFY_MODEL, ClassifyService.CLASSIFY, ClassifyService.PREDICT,
            ClassifyService.OPENAPI, ClassifyService.API_OPENAPI}) {
            routing.route(method -> !method.equals(Method.OPTIONS), PathMatchers.create(path),
                    KodiakServer::methodNotAllowed);
        }
        routing.error(ApiException.class, KodiakServer::apiError)
                .error(NotFoundException.class, KodiakServer::notFound)
                .error(HttpException.class, KodiakServer::httpError)
                .error(RequestException.class, (req, res, e) ->
                        apiError(req, res, BodyReader.fromHelidon(e)))
                .error(ServerConnectionException.class, KodiakServer::clientGone)
                .error(DataReader.InsufficientDataAvailableException.class,
                        KodiakServer::clientGone)
                .error(Throwable.class, KodiakServer::bug);
    }

    private static void methodNotAllowed(ServerRequest req, ServerResponse res) {
        throw new ApiException(Status.METHOD_NOT_ALLOWED_405, "METHOD_NOT_ALLOWED",
                req.prologue().method().text() + " is not allowed on " + req.path().path()
                + "; see /openapi.yaml");
    }

    private static String route(String path) {
        if (path.equals(ClassifyService.MODELS) || path.equals(ClassifyService.CLASSIFY)
                || path.equals(ClassifyService.PREDICT) || path.equals(ClassifyService.OPENAPI)) {
            return path;
        }
        if (path.equals(ClassifyService.API_OPENAPI)) {
            return ClassifyService.OPENAPI;
        }
        if (path.startsWith(ClassifyService.MODELS + "/")) {
            return path.endsWith("/classify") ? ClassifyService.CLASSIFY_MODEL
                    : ClassifyService.MODEL;
        }
        if (path.startsWith("/observe")) {
            return "/observe";
        }
        return path.startsWith("/api/") ? "/api/other" : "/site";
    }

    private static void apiError(ServerRequest req, ServerResponse res, ApiException e) {
        if (e.retryAfterSeconds() != null) {
            res.header(HeaderNames.RETRY_AFTER, e.retryAfterSeconds());
        }
        if (e instanceof BodyReader.PayloadTooLargeException tooLarge) {
            res.header(HeaderNames.CONNECTION, "close");
            sendJson(res, e.status(), e.code(), e.getMessage());
            tooLarge.drain();
            return;
        }
        if (e instanceof BodyReader.UploadTimeoutException timeout) {
            res.header(HeaderNames.CONNECTION, "close");
            try {
                sendJson(res, e.status(), e.code(), e.getMessage());
            } finally {
                timeout.abort();
            }
            return;
        }
        sendJson(res, e.status(), e.code(), e.getMessage());
    }

    private static void notFound(ServerRequest req, ServerResponse res, NotFoundException e) {
        String path = req.path().path();
        boolean browser = req.headers().isAccepted(MediaTypes.TEXT_HTML)
                && !path.startsWith("/api/") && req.prologue().method() == Method.GET;
        if (browser && NotFoundPage.BYTES != null) {
            res.status(Status.NOT_FOUND_404);
            res.headers().contentType(HttpMediaType.create(MediaTypes.TEXT_HTML)
                    .withCharset("UTF-8"));
            res.send(NotFoundPage.BYTES);
            return;
        }
        sendJson(res, Status.NOT_FOUND_404, "NOT_FOUND", "Nothing at " + path
                + "; the API is under /api/v1 (see /openapi.yaml)");
    }

    /** The blog's 404 page, read once (null without the blog on the class path). */
    private static final class NotFoundPage {
        static final byte[] BYTES = read();

        private static byte[] read() {
            try (InputStream page = KodiakServer.class.getResourceAsStream(
                    "/" + SITE_ON_CLASSPATH + "/404.html")) {
                return page == null ? null : page.readAllBytes();
            } catch (IOException e) {
                return null;
            }
        }
    }

    /** Helidon's own HTTP outcomes, such as static content's 304 Not Modified. */
    private static void httpError(ServerRequest req, ServerResponse res, HttpException e) {
        if (e.status().code() < 400) {
            res.status(e.status());
            res.send();
            return;
        }
        sendJson(res, e.status(), e.status().code() >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST",
                e.getMessage());
    }

    private static void clientGone(ServerRequest req, ServerResponse res, Throwable e) {
        // The client closed or reset the connection mid-request: nobody is left to answer.
        LOG.log(System.Logger.Level.DEBUG, "client went away during {0}: {1}",
                req.path().path(), e.toString());
        try {
            sendJson(res, Status.BAD_REQUEST_400, "INCOMPLETE_REQUEST",
                    "The request body ended before its announced length");
        } catch (RuntimeException ignored) {
            // the connection is gone
        }
    }

    private static void bug(ServerRequest req, ServerResponse res, Throwable e) {
        LOG.log(System.Logger.Level.ERROR, "unexpected failure on " + req.path().path(), e);
        sendJson(res, Status.INTERNAL_SERVER_ERROR_500, "INTERNAL_ERROR", "Something went wrong "
                + "on the server (a bug, not your request); it has been logged");
    }

    private static void sendJson(ServerResponse res, Status status, String code, String message) {
        res.status(status);
        res.headers().contentType(MediaTypes.APPLICATION_JSON);
        res.send(Responses.errorText(code, message).getBytes(StandardCharsets.UTF_8));
    }

    /** Errors Helidon answers before routing (malformed HTTP, bodies over the limit) as JSON. */
    private static DirectHandlers jsonDirectHandlers() {
        DirectHandler json = (request, type, status, headers, message) -> {
            String code = status.code() == 413 ? "PAYLOAD_TOO_LARGE"
                    : status.code() == 503 ? "OVERLOADED"
                    : status.code() >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST";
            String text = status.code() == 413
                    ? BodyReader.PayloadTooLargeException.message("")
                    : status.code() >= 500 ? "The server could not handle the request"
                    : "The HTTP request is malformed"
                    + (message == null || message.isBlank() ? "" : " (" + message + ")");
            return DirectHandler.TransportResponse.builder()
                    .status(status).headers(headers)
                    .header(HeaderNames.CONTENT_TYPE, "application/json")
                    .entity(Responses.errorText(code, text).getBytes(StandardCharsets.UTF_8))
                    .build();
        };
        DirectHandlers.Builder handlers = DirectHandlers.builder();
        for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
            handlers.addHandler(type, json);
        }
        return handlers.build();
    }

    private static CorsFeature cors(ServerSettings settings) {
        Set<String> origins = new LinkedHashSet<>(settings.corsOrigins());
        return CorsFeature.create(config -> config.addDefaults(false)
                .addPath(path -> path.pathPattern("/api/*").allowOrigins(origins)
                        .allowMethods(Set.of("GET", "POST")).allowHeaders(Set.of("Content-Type"))
                        .exposeHeaders(Set.of("Retry-After")))
                .addPath(path -> path.pathPattern(ClassifyService.PREDICT).allowOrigins(origins)
                        .allowMethods(Set.of("POST")).allowHeaders(Set.of("Content-Type"))));
    }

    private static StaticContentFeature site(ServerSettings settings) {
        if (settings.site().isPresent()) {
            return StaticContentFeature.builder().addPath(p -> p.location(settings.site().get())
                    .context("/").welcome("index.html")).build();
        }
        if (KodiakServer.class.getResource("/" + SITE_ON_CLASSPATH + "/index.html") == null) {
            LOG.log(System.Logger.Level.WARNING, "no built blog on the class path; / serves "
                    + "nothing (build the site module, or set kodiak.site)");
            return null;
        }
        return StaticContentFeature.builder().addClasspath(p -> p.location(SITE_ON_CLASSPATH)
                .context("/").welcome("index.html")).build();
    }

    static HealthCheckResponse readiness(ModelRegistry registry) {
        HealthCheckResponse.Builder response = HealthCheckResponse.builder()
                .status(registry.ready());
        registry.models().forEach(m -> response.detail(m.name(), m.loaded() ? "ready"
                : "loading"));
        return response.build();
    }

    /**
     * Returns the port the server listens on.
     *
     * @return the bound port (useful with port 0)
     */
    public int port() {
        return server.port();
    }

    /**
     * Waits until every model is loaded and warmed up.
     *
     * @param timeout the longest wait
     * @return whether the server is ready
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return registry.awaitReady(timeout);
    }

    /**
     * Stops gracefully: the listener closes at once (new connections are refused), in-flight
     * requests get up to {@code server.shutdown-grace-period} to finish, then the models'
     * queues drain and the models are released.
     */
    public void stop() {
        server.stop();
        api.close();
        registry.close();
        metrics.close();
    }
}
