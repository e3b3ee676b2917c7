package dev.kodiak.server;

import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.http.Method;
import io.helidon.http.PathMatchers;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.cors.CorsFeature;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.helidon.webserver.staticcontent.StaticContentFeature;
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
    private final DecodeStage decodes;
    private final HeaderWatch headerWatch;
    private final WebServer server;

    private KodiakServer(ModelRegistry registry, ServerMetrics metrics, DecodeStage decodes,
            HeaderWatch headerWatch, WebServer server) {
        this.registry = registry;
        this.metrics = metrics;
        this.decodes = decodes;
        this.headerWatch = headerWatch;
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
        ModelRegistry registry;
        try {
            registry = new ModelRegistry(settings, metrics, decodes, onFatal);
        } catch (RuntimeException e) {
            decodes.close();
            throw e;
        }
        for (ModelRegistry.Model model : registry.models()) {
            metrics.queueDepth(model.name(), () -> {
                ModelPipeline p = model.loadedPipeline();
                return p == null ? 0 : p.queueDepth();
            });
        }
        HeaderWatch headerWatch = new HeaderWatch(settings.get(ServerSettings.HEADER_TIMEOUT));
        BodyReader bodies = new BodyReader(settings.uploadTimeout(), settings.maxBodyBytes(),
                new MemoryBudget("request bodies", settings.bodyMemory()));
        ClassifyService api = new ClassifyService(registry, settings, bodies);
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
                .addProtocol(Http1Config.builder().addReceiveListener(headerWatch).build())
                .shutdownGracePeriod(settings.shutdownGrace())
                // TCP_NODELAY, and a read timeout Helidon does not set itself; reads honour it
                // through the socket's stream, not through an NIO channel read
                .connectionOptions(new ConnectionOptions(settings.get(
                        ServerSettings.IDLE_TIMEOUT)))
                .useNio(false)
                .shutdownHook(false)
                .directHandlers(ErrorHandlers.jsonDirectHandlers())
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
        WebServer server;
        try {
            server = builder.build().start();
        } catch (RuntimeException e) {
            headerWatch.close();
            decodes.close();
            throw e;
        }
        registry.startLoading();
        LOG.log(System.Logger.Level.INFO, "Kodiak listening on http://localhost:{0}/ with models "
                + "{1}; the default model (/api/v1/classify, /predict) is {2}: {3}",
                Integer.toString(server.port()), settings.models().keySet(),
                settings.defaultModel(), settings.defaultModelReason());
        return new KodiakServer(registry, metrics, decodes, headerWatch, server);
    }

    /** The API routes, their error handling and the request metrics. */
    static void routing(HttpRouting.Builder routing, ClassifyService api, ServerMetrics metrics) {
        routing.addFilter((chain, req, res) -> {
            long start = System.nanoTime();
            try {
                chain.proceed();
            } finally {
                metrics.request(route(req.path().absolute().path()), res.status().code(),
                        System.nanoTime() - start);
            }
        });
        routing.register(api);
        for (String path : new String[] {ClassifyService.MODELS, ClassifyService.MODEL,
            ClassifyService.CLASSIFY_MODEL, ClassifyService.CLASSIFY, ClassifyService.PREDICT,
            ClassifyService.OPENAPI, ClassifyService.API_OPENAPI}) {
            routing.route(method -> !method.equals(Method.OPTIONS), PathMatchers.create(path),
                    ErrorHandlers::methodNotAllowed);
        }
        ErrorHandlers.register(routing);
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
        headerWatch.close();
        decodes.close();
        registry.close();
        metrics.close();
    }
}
