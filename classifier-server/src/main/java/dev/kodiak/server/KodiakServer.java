package dev.kodiak.server;

import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.http.Method;
import io.helidon.http.PathMatchers;
import io.helidon.webserver.ProtocolConfigs;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.cors.CorsFeature;
import io.helidon.webserver.grpc.GrpcConfig;
import io.helidon.webserver.grpc.GrpcRouting;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http2.Http2Config;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.helidon.webserver.staticcontent.StaticContentFeature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The running server: models, the JSON API, the Open Inference Protocol over REST and gRPC (on
 * the same port), health and metrics under {@code /observe}, CORS, and the blog at {@code /}.
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

    /** The admin routes, which answer 405 for other methods. */
    private static final List<String> ADMIN_PATHS = List.of(AdminService.INDEX,
            AdminService.LOAD, AdminService.UNLOAD, AdminService.MODELS, AdminService.MODEL,
            AdminService.SERVING);
    /** The main port's routes, which answer 405 for other methods. */
    private static final List<String> MAIN_PATHS = java.util.stream.Stream.concat(Stream.of(
            ClassifyService.MODELS, ClassifyService.MODEL, ClassifyService.CLASSIFY_MODEL,
            ClassifyService.CLASSIFY_VERSION, ClassifyService.CLASSIFY, ClassifyService.PREDICT,
            ClassifyService.OPENAPI, ClassifyService.API_OPENAPI, OipService.META,
            OipService.LIVE, OipService.READY, OipService.MODEL, OipService.MODEL_VERSION,
            OipService.MODEL_READY, OipService.MODEL_VERSION_READY, OipService.INFER,
            OipService.INFER_VERSION), ADMIN_PATHS.stream()).toList();

    /** The name of the admin routes' own socket, when they have one. */
    static final String ADMIN_SOCKET = "admin";

    private final ModelManager models;
    private final ServerMetrics metrics;
    private final DecodeStage decodes;
    private final HeaderWatch headerWatch;
    private final ShadowTraffic shadows;
    private final WebServer server;

    private KodiakServer(ModelManager models, ServerMetrics metrics, DecodeStage decodes,
            HeaderWatch headerWatch, ShadowTraffic shadows, WebServer server) {
        this.models = models;
        this.metrics = metrics;
        this.decodes = decodes;
        this.headerWatch = headerWatch;
        this.shadows = shadows;
        this.server = server;
    }

    /** How often idle connections are looked for: a quarter of the timeout, 1 to 30 s. */
    private static Duration checkPeriod(Duration idleTimeout) {
        long millis = Math.max(1000, Math.min(30_000, idleTimeout.toMillis() / 4));
        return Duration.ofMillis(millis);
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
        DecodeStage decodes = new DecodeStage(settings.maxConcurrentDecodes(),
                new MemoryBudget("decoding", settings.decodeMemory()), settings.admissionWait(),
                settings.maxPixels());
        ModelManager models;
        try {
            models = new ModelManager(settings, metrics, decodes, onFatal);
        } catch (RuntimeException e) {
            decodes.close();
            throw e;
        }
        HeaderWatch headerWatch = new HeaderWatch(settings.get(ServerSettings.HEADER_TIMEOUT));
        BodyReader bodies = new BodyReader(settings.uploadTimeout(), settings.maxBodyBytes(),
                new MemoryBudget("request bodies", settings.bodyMemory()));
        ShadowTraffic shadows = new ShadowTraffic(metrics, settings.requestTimeout());
        ClassifyService api = new ClassifyService(models, settings, bodies, shadows);
        boolean admin = settings.get(ServerSettings.ADMIN_ENABLED);
        int adminPort = settings.get(ServerSettings.ADMIN_PORT);
        List<String> extensions = new ArrayList<>(List.of("binary_tensor_data",
                "classification"));
        if (admin) {
            extensions.add("model_repository");
        }
        OipInference inference = new OipInference(models, shadows, settings);
        OipService oip = new OipService(models, inference, bodies, extensions);
        String token = settings.get(ServerSettings.ADMIN_TOKEN);
        AdminService adminRoutes = admin ? AdminService.open(models, shadows, token) : null;
        String closed = !admin ? "The model repository and management routes are closed; set "
                + "kodiak.admin.enabled (with kodiak.admin.token, or kodiak.admin.port for a "
                + "port of 127.0.0.1)"
                : adminPort == -1 ? null : "The model repository and management routes listen "
                + "on 127.0.0.1 port " + adminPort + " (kodiak.admin.port), not here";
        AdminService onMainPort = closed == null ? adminRoutes : AdminService.closed(closed);
        // the same protocol over gRPC, on the same port: HTTP/2 streams whose content type is
        // application/grpc go to it (h2c, as gRPC clients connect in plain text)
        long maxMessage = settings.maxBodyBytes();
        Http1Config http1 = Http1Config.builder().addReceiveListener(headerWatch).build();
        Http2Config http2 = Http2Config.create();
        Http2Watch http2Watch = new Http2Watch(headerWatch);
        GrpcConfig grpcProtocol = grpcConfig(maxMessage);
        OipGrpcService grpc = OipGrpcService.main(models, inference, bodies, extensions,
                settings.requestTimeout(), closed, token);
        WebServerConfig.Builder builder = WebServer.builder()
                .host(settings.host())
                .port(settings.port())
                // Kodiak checks max-body-bytes itself, answers 413 and drains what the client
                // still sends; Helidon's own check is the backstop for bodies too large to
                // drain and for routes that do not read their body
                .maxPayloadSize(BodyReader.backstop(settings.maxBodyBytes()))
                // more at once get a 503 from Helidon before they take any memory
                .maxConcurrentRequests(settings.maxConcurrentRequests())
                // slow clients: connections are bounded, an idle one (or one whose request
                // line dribbles in) is closed, and so is one whose headers take too long
                .maxTcpConnections(settings.get(ServerSettings.MAX_TCP_CONNECTIONS))
                .idleConnectionTimeout(settings.get(ServerSettings.IDLE_TIMEOUT))
                .idleConnectionPeriod(checkPeriod(settings.get(ServerSettings.IDLE_TIMEOUT)))
                .addProtocol(http1)
                .addProtocol(http2)
                // Helidon's own gRPC message limit, above Kodiak's (GrpcGuard says why)
                .addProtocol(grpcProtocol)
                // and so is one whose HTTP/2 header block takes too long, by prior knowledge or
                // after an h2c upgrade: Helidon's selectors, wrapped, before its own
                .addConnectionSelectors(http2Watch.selectors(http1, http2,
                        ProtocolConfigs.create(List.of(http1, http2, grpcProtocol))))
                .shutdownGracePeriod(settings.shutdownGrace())
                // TCP_NODELAY, and a read timeout Helidon does not set itself; reads honour it
                // through the socket's stream, not through an NIO channel read
                .connectionOptions(new ConnectionOptions(settings.get(
                        ServerSettings.IDLE_TIMEOUT)))
                .useNio(false)
                // request bodies sent gzip- or deflate-compressed are inflated as they are read
                .contentEncoding(RequestDecoding.context())
                .shutdownHook(false)
                .directHandlers(ErrorHandlers.jsonDirectHandlers())
                .addFeature(cors(settings))
                .addFeature(ObserveFeature.builder()
                        .addObserver(HealthObserver.builder().details(true)
                                .addCheck(() -> readiness(models), HealthCheckType.READINESS,
                                        "models")
                                .build())
                        .addObserver(MetricsObserver.create())
                        .build())
                .routing(routing -> routing(routing, metrics, http2Watch::endConnection,
                        MAIN_PATHS, api, oip, onMainPort))
                .addRouting(GrpcRouting.builder().service(grpc.definition(maxMessage,
                        metrics)).service(GrpcGuard.guarded(new GrpcHealth(models::ready),
                        maxMessage, metrics)));
        if (admin && adminPort != -1) {
            OipGrpcService adminGrpc = OipGrpcService.admin(models, token);
            builder.putSocket(ADMIN_SOCKET, socket -> socket.host("127.0.0.1").port(adminPort)
                    .addProtocol(grpcConfig(maxMessage))
                    .routing(routing -> routing(routing, metrics, request -> { }, ADMIN_PATHS,
                            adminRoutes))
                    .addRouting(GrpcRouting.builder().service(adminGrpc.definition(maxMessage,
                            metrics))));
        }
        StaticContentFeature site = site(settings);
        if (site != null) {
            builder.addFeature(site);
        }
        WebServer server;
        try {
            server = builder.build().start();
        } catch (RuntimeException e) {
            headerWatch.close();
            shadows.close();
            decodes.close();
            throw e;
        }
        models.startLoading();
        LOG.log(System.Logger.Level.INFO, "Kodiak listening on http://localhost:{0}/ (and gRPC, "
                + "inference.GRPCInferenceService and grpc.health.v1.Health, on the same port) "
                + "with models "
                + "{1}{2}; the default model (/api/v1/classify, /predict) is {3}: {4}",
                Integer.toString(server.port()), settings.models().keySet(),
                settings.modelRepository().map(r -> " and the repository " + r).orElse(""),
                models.defaultModel(), settings.defaultModelReason());
        if (admin) {
            LOG.log(System.Logger.Level.INFO, "model repository and management routes on {0}",
                    adminPort == -1 ? "this port (with the admin token)"
                    : "http://127.0.0.1:" + server.port(ADMIN_SOCKET) + "/");
        }
        return new KodiakServer(models, metrics, decodes, headerWatch, shadows, server);
    }

    private static GrpcConfig grpcConfig(long maxMessageBytes) {
        return GrpcConfig.builder().maxReadBufferSize(GrpcGuard.helidonLimit(maxMessageBytes))
                .build();
    }

    /**
     * The API routes, their error handling and the request metrics; {@code endConnection} ends
     * the HTTP/2 connection of a request whose body is abandoned (408, 413).
     */
    static void routing(HttpRouting.Builder routing, ServerMetrics metrics,
            Consumer<ServerRequest> endConnection, List<String> paths, HttpService... services) {
        routing.addFilter((chain, req, res) -> {
            long start = System.nanoTime();
            try {
                chain.proceed();
            } finally {
                metrics.request(route(req.path().absolute().path()), res.status().code(),
                        System.nanoTime() - start);
            }
        });
        for (HttpService service : services) {
            routing.register(service);
        }
        for (String path : paths) {
            routing.route(method -> !method.equals(Method.OPTIONS), PathMatchers.create(path),
                    ErrorHandlers::methodNotAllowed);
        }
        ErrorHandlers.register(routing, endConnection);
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
            return path.endsWith("/classify") ? path.contains("/versions/")
                    ? ClassifyService.CLASSIFY_VERSION : ClassifyService.CLASSIFY_MODEL
                    : ClassifyService.MODEL;
        }
        if (path.startsWith("/v2/models/")) {
            return path.endsWith("/infer") ? OipService.INFER
                    : path.endsWith("/ready") ? OipService.MODEL_READY : OipService.MODEL;
        }
        if (path.startsWith("/v2/repository/")) {
            return path.endsWith("/index") ? AdminService.INDEX
                    : path.endsWith("/load") ? AdminService.LOAD : AdminService.UNLOAD;
        }
        if (path.startsWith("/v2/health/")) {
            return path.equals(OipService.LIVE) ? OipService.LIVE : OipService.READY;
        }
        if (path.equals("/v2") || path.equals("/v2/")) {
            return OipService.META;
        }
        if (path.startsWith("/admin/")) {
            return path.endsWith("/serving") ? AdminService.SERVING : AdminService.MODELS;
        }
        if (path.startsWith("/observe/health")) {
            return "/observe/health";
        }
        if (path.startsWith("/observe/metrics")) {
            return "/observe/metrics";
        }
        if (path.startsWith("/observe")) {
            return "/observe";
        }
        return path.startsWith("/api/") ? "/api/other" : "/site";
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

    static HealthCheckResponse readiness(ModelManager models) {
        HealthCheckResponse.Builder response = HealthCheckResponse.builder()
                .status(models.ready());
        models.states().forEach(response::detail);
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
     * Returns the port of the admin routes when they have their own ({@code kodiak.admin.port}).
     *
     * @return the bound port, or -1 when they are on the main port or closed
     */
    public int adminPort() {
        return server.port(ADMIN_SOCKET); // -1 for a socket the server does not have
    }

    /**
     * Waits until every model is loaded and warmed up.
     *
     * @param timeout the longest wait
     * @return whether the server is ready
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return models.awaitReady(timeout);
    }

    /**
     * Stops gracefully: the listener closes at once (new connections are refused), in-flight
     * requests get up to {@code server.shutdown-grace-period} to finish, then the models'
     * queues drain and the models are released.
     */
    public void stop() {
        server.stop();
        headerWatch.close();
        shadows.close();
        models.close();
        decodes.close();
        metrics.close();
    }
}
