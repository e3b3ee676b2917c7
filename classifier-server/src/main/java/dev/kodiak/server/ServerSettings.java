package dev.kodiak.server;

import dev.kodiak.core.ClassifierConfig;
import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.bundle.Precision;
import dev.kodiak.core.decode.ImageLimits;
import dev.kodiak.core.fields.Problems;
import dev.kodiak.core.infer.InferenceEngine;
import io.helidon.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Everything the server can be told, read from {@code application.yaml} (the {@code server} and
 * {@code kodiak} nodes). Every key can be overridden by an environment variable named after it:
 * upper case, dots and dashes as underscores ({@code kodiak.limits.max-body-bytes} is
 * {@code KODIAK_LIMITS_MAX_BODY_BYTES}); lists and maps are comma-separated
 * ({@code KODIAK_MODELS=fashion-mnist=models/fashion-mnist,pets=/srv/pets.zip}).
 *
 * <p>Each key is described once, as a {@link Setting} in {@link #ALL}: its default, parser and
 * check. {@link #read} checks every value and reports all problems at once, naming the keys and
 * their variables; {@link #KEYS} and the distribution's commented {@code conf/application.yaml}
 * ({@link #template()}) come from the same list.
 *
 * <p>Immutable and thread-safe.
 */
public final class ServerSettings {
    static final Setting<Integer> PORT = Setting.of("server.port", "8080", Integer::parseInt,
            "a port number", "the HTTP port; 0 for any free port")
            .range(p -> p >= 0 && p <= 65535, "from 0 to 65535");
    static final Setting<String> HOST = Setting.of("server.host", "0.0.0.0",
            Function.identity(), "an address", "the address to listen on");
    static final Setting<Duration> SHUTDOWN_GRACE = Setting.of("server.shutdown-grace-period",
            "PT30S", Duration::parse, "an ISO-8601 duration such as PT30S",
            "in-flight requests may finish for this long after SIGTERM; new connections are "
            + "refused");
    static final Setting<Integer> MAX_TCP_CONNECTIONS = Setting.of("server.max-tcp-connections",
            "1024", Integer::parseInt, "a count",
            "connections open at once; more wait in the kernel's queue until one closes")
            .range(v -> v >= 1, "at least 1");
    static final Setting<Duration> IDLE_TIMEOUT = Setting.of("server.idle-connection-timeout",
            "PT60S", Duration::parse, "an ISO-8601 duration such as PT60S",
            "a connection with no request for this long is closed (this also bounds a request "
            + "line that arrives slowly)").range(ServerSettings::positive, "positive");
    static final Setting<String> DEFAULT_MODEL = Setting.of("kodiak.default-model", "",
            Function.identity(), "a model name",
            "the model behind /api/v1/classify and /predict")
            .computedDefault("the first model of kodiak.models");
    static final Setting<Long> MAX_BODY_BYTES = Setting.of("kodiak.limits.max-body-bytes",
            "10485760", Long::parseLong, "a byte count",
            "the largest request body, checked while reading (413 above it)")
            .range(v -> v >= 1024 && v <= (1L << 31) - 1, "from 1024 to 2147483647");
    static final Setting<Long> MAX_PIXELS = Setting.of("kodiak.limits.max-pixels",
            Long.toString(ImageLimits.DEFAULT_MAX_PIXELS), Long::parseLong, "a pixel count",
            "images above this many pixels get 422").range(v -> v >= 1, "at least 1");
    static final Setting<Duration> REQUEST_TIMEOUT = Setting.of("kodiak.limits.request-timeout",
            "PT10S", Duration::parse, "an ISO-8601 duration such as PT10S",
            "the deadline of one classification, from arrival to answer (503 after it)")
            .range(ServerSettings::positive, "positive");
    static final Setting<Duration> HEADER_TIMEOUT = Setting.of("kodiak.limits.header-timeout",
            "PT10S", Duration::parse, "an ISO-8601 duration such as PT10S",
            "the longest a request's headers may take to arrive; slower connections are closed")
            .range(ServerSettings::positive, "positive");
    static final Setting<Duration> UPLOAD_TIMEOUT = Setting.of("kodiak.limits.upload-timeout",
            "PT30S", Duration::parse, "an ISO-8601 duration such as PT30S",
            "the longest a request body may take to arrive (408 after it)")
            .range(ServerSettings::positive, "positive");
    static final Setting<Integer> MAX_CONCURRENT_DECODES = Setting.of(
            "kodiak.limits.max-concurrent-decodes", null, Integer::parseInt, "a count",
            "platform threads decoding uploads at once; how many large photos decode together "
            + "is bounded by decode-memory").range(v -> v >= 1, "at least 1")
            .computedDefault("twice the cores, at least 4");
    static final Setting<Long> DECODE_MEMORY = Setting.of("kodiak.limits.decode-memory", null,
            Long::parseLong, "a byte count",
            "heap for decodes in flight, by each image's estimated peak")
            .range(v -> v >= 16L << 20, "at least 16777216 (16 MiB)")
            .computedDefault("half the max heap");
    static final Setting<Long> BODY_MEMORY = Setting.of("kodiak.limits.body-memory", null,
            Long::parseLong, "a byte count", "heap for request bodies held in memory at once")
            .computedDefault("1/8 of the max heap, at least twice max-body-bytes");
    static final Setting<Duration> ADMISSION_WAIT = Setting.of("kodiak.limits.admission-wait",
            "PT0.5S", Duration::parse, "an ISO-8601 duration such as PT0.5S",
            "an upload that finds no decode memory for this long gets 503 with Retry-After")
            .range(d -> !d.isNegative(), "0 or more");
    static final Setting<Integer> MAX_CONCURRENT_REQUESTS = Setting.of(
            "kodiak.limits.max-concurrent-requests", "256", Integer::parseInt, "a count",
            "requests served at once; more get 503 before any memory is taken")
            .range(v -> v >= 1, "at least 1");
    static final Setting<Boolean> BATCHING = Setting.of("kodiak.batching.enabled", "true",
            ServerSettings::bool, "true or false",
            "micro-batching: requests that arrive together share a forward pass");
    static final Setting<Integer> MAX_BATCH_SIZE = Setting.of("kodiak.batching.max-batch-size",
            "16", Integer::parseInt, "a count", "the most requests per forward pass")
            .range(v -> v >= 1 && v <= 1024, "from 1 to 1024");
    static final Setting<Duration> MAX_WAIT = Setting.of("kodiak.batching.max-wait", "PT0.005S",
            Duration::parse, "an ISO-8601 duration such as PT0.005S",
            "how long a request waits for others to share its batch (only while others are "
            + "being decoded)")
            .range(d -> !d.isNegative() && d.compareTo(Duration.ofSeconds(1)) <= 0,
                    "from 0 to 1 second");
    static final Setting<Integer> QUEUE_CAPACITY = Setting.of("kodiak.batching.queue-capacity",
            "64", Integer::parseInt, "a count",
            "requests that may wait per model; a full queue answers 503 with Retry-After")
            .range(v -> v >= 1, "at least 1");
    static final Setting<Integer> WORKERS = Setting.of("kodiak.batching.workers", "1",
            Integer::parseInt, "a count", "forward passes of one model that may run at once")
            .range(v -> v >= 1 && v <= 64, "from 1 to 64");
    static final Setting<InferenceEngine> ENGINE = Setting.of("kodiak.engine", "auto",
            InferenceEngine::parse, "auto, onnxruntime or pytorch",
            "auto: ONNX Runtime when the bundle has model.onnx; onnxruntime; or pytorch "
            + "(libtorch, the bundle's model.pt)");
    static final Setting<Precision> PRECISION = Setting.of("kodiak.precision", "fp32",
            Precision::parse, "fp32, auto or int8",
            "fp32: the bundle's float32 model; auto: its model.int8.onnx when the agreement with "
            + "fp32 it measured is at or above its threshold and this CPU has int8 dot products "
            + "(VNNI, AMX), else fp32; int8: always (a bundle without one fails to load)");
    static final Setting<Integer> INTRA_OP = Setting.of("kodiak.threads.intra-op", "0",
            Integer::parseInt, "a count", "threads per operator of a forward pass; 0: one per "
            + "core").range(v -> v >= 0, "0 (default) or more");
    static final Setting<Integer> INTER_OP = Setting.of("kodiak.threads.inter-op", "0",
            Integer::parseInt, "a count", "threads across operators; 0: one")
            .range(v -> v >= 0, "0 (default) or more");
    static final Setting<List<String>> CORS_ORIGINS = Setting.of("kodiak.cors.allow-origins",
            "*", ServerSettings::list, "a list",
            "origins allowed to call the API from a browser: * for any, or origins such as "
            + "https://blog.example")
            .range(origins -> origins.stream().allMatch(o -> o.equals("*")
                    || o.matches("https?://[^/\\s]+")), "* or origins like https://blog.example");
    static final Setting<String> SITE = Setting.of("kodiak.site", "", Function.identity(),
            "a directory", "serve another built site at / instead of the blog built in");
    static final Setting<String> MODEL_REPOSITORY = Setting.of("kodiak.model-repository", "",
            Function.identity(), "a directory", "a folder of models as <name>/<version>/ (each "
            + "version a bundle folder or <version>.zip), served beside kodiak.models");
    static final Setting<Duration> MODEL_REPOSITORY_POLL = Setting.of(
            "kodiak.model-repository-poll", "off", ServerSettings::durationOrOff,
            "off or an ISO-8601 duration such as PT2S",
            "how often the repository is looked at for new, changed and removed versions")
            .range(d -> !d.isNegative(), "off or positive");
    static final Setting<Boolean> ADMIN_ENABLED = Setting.of("kodiak.admin.enabled", "false",
            ServerSettings::bool, "true or false",
            "the repository and management routes (load, unload, traffic split, shadow)");
    static final Setting<String> ADMIN_TOKEN = Setting.of("kodiak.admin.token", "",
            Function.identity(), "a secret", "the bearer token the admin routes ask for "
            + "(Authorization: Bearer <token>); required when they are on the main port")
            .range(t -> t.isEmpty() || t.length() >= 16 && t.chars().noneMatch(
                    Character::isWhitespace), "empty, or at least 16 characters without spaces")
            .secret();
    static final Setting<Integer> ADMIN_PORT = Setting.of("kodiak.admin.port", "-1",
            Integer::parseInt, "a port number", "-1: the admin routes are on the main port "
            + "(with the token); else they listen on this port of 127.0.0.1 only (0: any free "
            + "port)").range(p -> p >= -1 && p <= 65535, "from -1 to 65535");

    /** The bundles to serve: a map, not one value, so it is read on its own. */
    static final String MODELS_KEY = "kodiak.models";

    /** Every setting, in the order of the configuration file. */
    static final List<Setting<?>> ALL = List.of(PORT, HOST, SHUTDOWN_GRACE, MAX_TCP_CONNECTIONS,
            IDLE_TIMEOUT, DEFAULT_MODEL, MAX_BODY_BYTES, MAX_PIXELS, REQUEST_TIMEOUT,
            HEADER_TIMEOUT, UPLOAD_TIMEOUT, MAX_CONCURRENT_DECODES,
            DECODE_MEMORY, BODY_MEMORY, ADMISSION_WAIT, MAX_CONCURRENT_REQUESTS, BATCHING,
            MAX_BATCH_SIZE, MAX_WAIT, QUEUE_CAPACITY, WORKERS, ENGINE, PRECISION, INTRA_OP, INTER_OP,
            CORS_ORIGINS, SITE, MODEL_REPOSITORY, MODEL_REPOSITORY_POLL, ADMIN_ENABLED,
            ADMIN_TOKEN, ADMIN_PORT);

    /**
     * Every configuration key the server reads, for tools and tests that check deployment
     * files against it ({@code kodiak.models.NAME} entries are spelled {@code kodiak.models}).
     */
    public static final List<String> KEYS = keys();

    /**
     * How forward passes run: every model has a queue and worker threads that take from it.
     *
     * @param enabled false runs every request in its own forward pass (a batch of one)
     * @param maxBatchSize the most requests per forward pass
     * @param maxWait how long the first request of a batch waits for company
     * @param queueCapacity requests that may wait per model before 503
     * @param workers forward passes of one model that may run at once
     */
    public record Batching(boolean enabled, int maxBatchSize, Duration maxWait,
            int queueCapacity, int workers) {
    }

    /** Thrown when settings are invalid; the message names every bad key. */
    public static final class InvalidSettingsException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InvalidSettingsException(String message) {
            super(message);
        }
    }

    private final Map<Setting<?>, Object> values;
    private final Map<String, Path> models;
    private final String defaultModel;
    private final String defaultModelReason;
    private final Optional<Path> site;
    private final Optional<Path> modelRepository;

    private ServerSettings(Map<Setting<?>, Object> values, Map<String, Path> models,
            String defaultModel, String defaultModelReason, Optional<Path> site,
            Optional<Path> modelRepository) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.models = Collections.unmodifiableMap(new LinkedHashMap<>(models));
        this.defaultModel = defaultModel;
        this.defaultModelReason = defaultModelReason;
        this.site = site;
        this.modelRepository = modelRepository;
    }

    private static List<String> keys() {
        List<String> keys = new ArrayList<>();
        ALL.forEach(s -> keys.add(s.key()));
        keys.add(MODELS_KEY);
        return List.copyOf(keys);
    }

    /**
     * The environment variable that overrides a key.
     *
     * @param key a configuration key such as {@code kodiak.limits.max-body-bytes}
     * @return its variable, such as {@code KODIAK_LIMITS_MAX_BODY_BYTES}
     */
    public static String environmentVariable(String key) {
        return Setting.env(key);
    }

    /**
     * Returns a setting's value.
     *
     * @param setting one of {@link #ALL}
     * @param <T> its type
     * @return the value read, or its default
     */
    @SuppressWarnings("unchecked")
    <T> T get(Setting<T> setting) {
        return (T) values.get(setting);
    }

    /**
     * Reads and checks the settings, resolving relative paths against {@code home}.
     *
     * @param config the root configuration (application.yaml and friends)
     * @param env the environment variables
     * @param home the directory relative bundle and site paths are resolved against
     * @return the settings
     * @throws InvalidSettingsException naming every invalid key and its value
     */
    public static ServerSettings read(Config config, Map<String, String> env, Path home) {
        return read(config, env, home, home);
    }

    /**
     * Reads and checks the settings. A relative bundle or site path is resolved against the
     * working directory first, as every command line tool does, then against Kodiak's home (the
     * distribution's folder, which holds the bundled default model).
     *
     * @param config the root configuration (application.yaml and friends)
     * @param env the environment variables
     * @param workingDirectory where the server was started from
     * @param home Kodiak's home
     * @return the settings
     * @throws InvalidSettingsException naming every invalid key and its value, and for a path
     *     that exists nowhere, both places it was looked for
     */
    public static ServerSettings read(Config config, Map<String, String> env,
            Path workingDirectory, Path home) {
        Paths paths = new Paths(workingDirectory, home);
        Reader r = new Reader(config, env);
        Map<Setting<?>, Object> values = new LinkedHashMap<>();
        int cores = Runtime.getRuntime().availableProcessors();
        long heap = Runtime.getRuntime().maxMemory();
        for (Setting<?> setting : ALL) {
            if (setting.fallback() != null) { // computed defaults are read below
                values.put(setting, r.get(setting, null));
            }
        }
        values.put(MAX_CONCURRENT_DECODES, r.get(MAX_CONCURRENT_DECODES,
                Integer.toString(Math.max(4, 2 * cores))));
        values.put(DECODE_MEMORY, r.get(DECODE_MEMORY, Long.toString(heap / 2)));
        long maxBody = (Long) values.get(MAX_BODY_BYTES);
        long bodyMemory = r.get(BODY_MEMORY, Long.toString(Math.max(heap / 8, 2 * maxBody)));
        values.put(BODY_MEMORY, bodyMemory);
        // a chunked body holds its pieces and its final array at once: twice its size
        r.check(bodyMemory >= 2 * maxBody, BODY_MEMORY.key(), bodyMemory, "at least twice "
                + MAX_BODY_BYTES.key() + " (" + 2 * maxBody + "), so that the largest body "
                + "accepted fits");

        String repositoryText = (String) values.get(MODEL_REPOSITORY);
        Optional<Path> repository = repositoryText.isBlank() ? Optional.empty()
                : Optional.of(paths.resolve(repositoryText, Files::isDirectory));
        repository.filter(p -> !Files.isDirectory(p)).ifPresent(p -> paths.missing(r,
                MODEL_REPOSITORY.key(), repositoryText, p, "an existing folder of models"));
        Map<String, Path> models = models(r, config, paths, repository.isPresent());
        boolean chosen = r.raw(DEFAULT_MODEL.key()) != null;
        String defaultModel = r.get(DEFAULT_MODEL,
                models.isEmpty() ? "" : models.keySet().iterator().next());
        values.put(DEFAULT_MODEL, defaultModel);
        String reason = chosen ? "set by " + DEFAULT_MODEL.key() + " (env "
                + DEFAULT_MODEL.env() + ")" : "the first model of " + (models.isEmpty()
                ? "the model repository, in name order" : MODELS_KEY) + "; set "
                + DEFAULT_MODEL.key() + " (env " + DEFAULT_MODEL.env() + ") to choose another";
        if (!models.isEmpty() && !models.containsKey(defaultModel) && repository.isEmpty()) {
            r.problem(DEFAULT_MODEL.key(), defaultModel, "one of " + models.keySet());
        }
        if ((Boolean) values.get(ADMIN_ENABLED) && (Integer) values.get(ADMIN_PORT) == -1
                && ((String) values.get(ADMIN_TOKEN)).isBlank()) {
            r.problem(ADMIN_TOKEN.key(), "", "set when the admin routes are enabled on the main "
                    + "port (or give them their own port on 127.0.0.1 with "
                    + ADMIN_PORT.key() + ")");
        }
        String siteText = (String) values.get(SITE);
        Optional<Path> site = siteText.isBlank() ? Optional.empty()
                : Optional.of(paths.resolve(siteText, Files::isDirectory));
        site.filter(p -> !Files.isDirectory(p)).ifPresent(p -> paths.missing(r, SITE.key(),
                siteText, p, "an existing directory with a built site"));
        r.fail();
        return new ServerSettings(values, models, defaultModel, reason, site, repository);
    }

    /** The bundle served when nothing is configured: the default model of the distribution. */
    static final String DEFAULT_MODELS = "fashion-mnist=models/fashion-mnist";

    private static Map<String, Path> models(Reader r, Config config, Paths paths,
            boolean repository) {
        Map<String, Path> models = new LinkedHashMap<>();
        Map<String, String> given = new LinkedHashMap<>();
        String modelsText = r.raw(MODELS_KEY);
        List<Config> nodes = config.get(MODELS_KEY).type() == Config.Type.OBJECT
                ? config.get(MODELS_KEY).asNodeList().orElse(List.of()) : List.of();
        if (modelsText == null && nodes.isEmpty() && !repository) {
            modelsText = DEFAULT_MODELS;
        }
        if (modelsText != null) {
            for (String entry : modelsText.split(",")) {
                String[] parts = entry.split("=", 2);
                if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                    r.problem(MODELS_KEY, entry, "name=path pairs");
                } else {
                    models.put(parts[0].trim(), paths.resolve(parts[1].trim(), Files::exists));
                    given.put(parts[0].trim(), parts[1].trim());
                }
            }
        } else {
            for (Config model : nodes) {
                String path = model.asString().orElse("");
                if (path.isBlank()) {
                    r.problem(MODELS_KEY + "." + model.name(), path, "a bundle path");
                } else {
                    models.put(model.name(), paths.resolve(path, Files::exists));
                    given.put(model.name(), path);
                }
            }
        }
        if (models.isEmpty() && !repository) {
            r.problem(MODELS_KEY, "", "at least one name: bundle-path entry, or set "
                    + MODEL_REPOSITORY.key());
        }
        for (Map.Entry<String, Path> model : models.entrySet()) {
            if (!Manifest.isValidName(model.getKey())) {
                r.problem(MODELS_KEY + "." + model.getKey(), model.getKey(),
                        "a name of a-z, 0-9, '.', '_', '-' (it appears in URLs)");
            }
            if (!Files.exists(model.getValue())) {
                paths.missing(r, MODELS_KEY + "." + model.getKey(), given.get(model.getKey()),
                        model.getValue(), "the path of an existing bundle directory or zip");
            }
        }
        return models;
    }

    /**
     * The distribution's {@code conf/application.yaml}: every key, commented out, with its
     * default and what it does. Generated from {@link #ALL} at build time, so it cannot drift.
     *
     * @return the file's text
     */
    static String template() {
        StringBuilder out = new StringBuilder();
        out.append("# Kodiak server configuration. Every key is shown commented out with its "
                + "default;\n# uncomment and change what you need. Environment variables "
                + "override this file:\n# upper case, dots and dashes as underscores "
                + "(kodiak.limits.max-body-bytes is\n# KODIAK_LIMITS_MAX_BODY_BYTES). Relative "
                + "paths are resolved against the Kodiak home.\n# Generated from "
                + "ServerSettings.ALL: edit the settings there, not here.\n");
        String[] previous = {};
        for (Setting<?> setting : ALL) {
            String[] parts = setting.key().split("\\.");
            int common = 0;
            while (common < parts.length - 1 && common < previous.length - 1
                    && parts[common].equals(previous[common])) {
                common++;
            }
            for (int depth = common; depth < parts.length - 1; depth++) {
                if (depth == 0) {
                    out.append('\n');
                }
                out.append('#').append("  ".repeat(depth)).append(parts[depth]).append(":\n");
                if (depth == 0 && parts[0].equals("kodiak")) {
                    out.append("#  models:                           # name: bundle folder or "
                            + ".zip (env KODIAK_MODELS=name=path,...)\n"
                            + "#    fashion-mnist: models/fashion-mnist\n");
                }
            }
            previous = parts;
            boolean computed = setting.fallback() == null;
            boolean none = computed || setting.fallback().isEmpty();
            String line = "#" + "  ".repeat(parts.length - 1) + parts[parts.length - 1] + ":"
                    + (none ? "" : " " + yaml(setting.fallback()));
            out.append(line).append(" ".repeat(Math.max(1, 38 - line.length())))
                    .append("# ").append(setting.doc());
            if (computed) {
                out.append(" (default: ").append(setting.fallbackDoc()).append(')');
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static String yaml(String value) {
        if (value.equals("*")) {
            return "[\"*\"]";
        }
        // words YAML 1.1 reads as booleans stay text
        return List.of("off", "on", "yes", "no").contains(value) ? "\"" + value + "\""
                : value;
    }

    /**
     * Writes {@link #template()} to a file: the build runs it for the distribution.
     *
     * @param args the file to write
     * @throws java.io.IOException if it cannot be written
     */
    public static void main(String[] args) throws java.io.IOException {
        Path file = Path.of(args[0]);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, template());
    }

    /**
     * How the server opens a model: its pixel limit, batch size, engine and threads.
     *
     * @param bundle one of {@link #models()}
     * @return the classifier configuration
     */
    public ClassifierConfig classifierConfig(Path bundle) {
        return ClassifierConfig.builder(bundle).maxPixels(maxPixels())
                .maxBatchSize(batching().maxBatchSize()).engine(engine()).precision(precision())
                .intraOpThreads(intraOpThreads())
                .interOpThreads(interOpThreads()).build();
    }

    /** @return the HTTP port ({@code server.port}), 0 for any free port */
    public int port() {
        return get(PORT);
    }

    /** @return the address to bind */
    public String host() {
        return get(HOST);
    }

    /** @return bundle paths by model name, in order */
    public Map<String, Path> models() {
        return models;
    }

    /** @return the model behind {@code /api/v1/classify} and {@code /predict} */
    public String defaultModel() {
        return defaultModel;
    }

    /** @return why {@link #defaultModel()} is the default, for the log and the model list */
    public String defaultModelReason() {
        return defaultModelReason;
    }

    /** @return the largest request body */
    public long maxBodyBytes() {
        return get(MAX_BODY_BYTES);
    }

    /** @return the largest image, in pixels */
    public long maxPixels() {
        return get(MAX_PIXELS);
    }

    /** @return the deadline of one classification, from arrival to answer */
    public Duration requestTimeout() {
        return get(REQUEST_TIMEOUT);
    }

    /** @return how long reading a request body may take */
    public Duration uploadTimeout() {
        return get(UPLOAD_TIMEOUT);
    }

    /** @return the platform threads decoding uploads at once */
    public int maxConcurrentDecodes() {
        return get(MAX_CONCURRENT_DECODES);
    }

    /** @return the heap all decodes in flight may take, by their estimated peak */
    public long decodeMemory() {
        return get(DECODE_MEMORY);
    }

    /** @return the heap all request bodies buffered at once may take */
    public long bodyMemory() {
        return get(BODY_MEMORY);
    }

    /** @return how long an upload may wait for decode memory before a 503 */
    public Duration admissionWait() {
        return get(ADMISSION_WAIT);
    }

    /** @return requests served at once; more get a 503 from the server */
    public int maxConcurrentRequests() {
        return get(MAX_CONCURRENT_REQUESTS);
    }

    /** @return micro-batching settings (disabled: a batch of one, no wait) */
    public Batching batching() {
        boolean enabled = get(BATCHING);
        return new Batching(enabled, enabled ? get(MAX_BATCH_SIZE) : 1,
                enabled ? get(MAX_WAIT) : Duration.ZERO, get(QUEUE_CAPACITY), get(WORKERS));
    }

    /** @return the runtime that runs the models; auto prefers ONNX Runtime */
    public InferenceEngine engine() {
        return get(ENGINE);
    }

    /** @return which of a bundle's models answers; auto takes int8 where it pays */
    public Precision precision() {
        return get(PRECISION);
    }

    /** @return the forward pass's intra-op threads, 0 for Kodiak's default */
    public int intraOpThreads() {
        return get(INTRA_OP);
    }

    /** @return the forward pass's inter-op threads, 0 for Kodiak's default */
    public int interOpThreads() {
        return get(INTER_OP);
    }

    /** @return origins allowed to call the API from a browser; {@code *} for any */
    public List<String> corsOrigins() {
        return get(CORS_ORIGINS);
    }

    /** @return the model repository's folder, or empty when there is none */
    public Optional<Path> modelRepository() {
        return modelRepository;
    }

    /** @return how often the repository is polled; zero when it is not */
    public Duration modelRepositoryPoll() {
        return get(MODEL_REPOSITORY_POLL);
    }

    /** @return a directory holding a built site to serve at {@code /}, or empty for the blog */
    public Optional<Path> site() {
        return site;
    }

    /** @return how long in-flight requests may run after a stop signal */
    public Duration shutdownGrace() {
        return get(SHUTDOWN_GRACE);
    }

    private static Duration durationOrOff(String text) {
        return text.equalsIgnoreCase("off") ? Duration.ZERO : Duration.parse(text);
    }

    private static boolean positive(Duration d) {
        return !d.isNegative() && !d.isZero();
    }

    private static boolean bool(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(text);
        };
    }

    private static List<String> list(String text) {
        List<String> values = new ArrayList<>();
        for (String v : text.split(",")) {
            if (!v.isBlank()) {
                values.add(v.trim());
            }
        }
        return List.copyOf(values);
    }

    /**
     * Resolves configured paths: absolute ones as they are; relative ones against the working
     * directory, else against Kodiak's home, where the distribution keeps the default model.
     */
    private record Paths(Path workingDirectory, Path home) {
        Paths {
            workingDirectory = workingDirectory.toAbsolutePath().normalize();
            home = home.toAbsolutePath().normalize();
        }

        Path resolve(String text, java.util.function.Predicate<Path> usable) {
            Path given = Path.of(text);
            if (given.isAbsolute()) {
                return given.normalize();
            }
            Path here = workingDirectory.resolve(given).normalize();
            Path inHome = home.resolve(given).normalize();
            return usable.test(here) || !usable.test(inHome) ? here : inHome;
        }

        /**
         * Reports a path that exists nowhere: the path itself, or for a relative one that could
         * be in either place, both places it was looked for.
         */
        void missing(Reader r, String key, String text, Path resolved, String expected) {
            if (Path.of(text).isAbsolute() || workingDirectory.equals(home)) {
                r.problem(key, resolved.toString(), expected);
            } else {
                r.problem(key, text, "looked for as '" + workingDirectory.resolve(text)
                        .normalize() + "' from the working directory and as '"
                        + home.resolve(text).normalize() + "' from Kodiak's home", expected);
            }
        }
    }

    /** Looks a key up in the environment first, then in the configuration. */
    private static final class Reader {
        private final Config config;
        private final Map<String, String> env;
        private final Problems problems = new Problems();

        Reader(Config config, Map<String, String> env) {
            this.config = config;
            this.env = env;
        }

        /** The text set for a key, or null when it is not set (or set blank: the default). */
        String raw(String key) {
            String fromEnv = env.get(Setting.env(key));
            if (fromEnv != null) {
                return fromEnv.isBlank() ? null : fromEnv;
            }
            Config node = config.get(key);
            if (node.isLeaf()) {
                return node.asString().filter(text -> !text.isBlank()).orElse(null);
            }
            if (node.type() == Config.Type.LIST) {
                return String.join(",", node.asList(String.class).orElse(List.of()));
            }
            return null;
        }

        /** The value, else the fallback given here, else the setting's own default. */
        <T> T get(Setting<T> setting, String fallback) {
            String text = raw(setting.key());
            String dflt = fallback != null ? fallback : setting.fallback();
            String value = text == null ? dflt : text.trim();
            T parsed;
            try {
                parsed = setting.parse(value);
            } catch (RuntimeException e) {
                problem(setting.key(), value, setting.expected());
                return setting.parse(dflt);
            }
            if (!setting.allows(parsed)) {
                problem(setting.key(), setting.isSecret() ? "(hidden)" : value,
                        setting.allowed());
            }
            return parsed;
        }

        void check(boolean ok, String key, Object value, String expected) {
            if (!ok) {
                problem(key, String.valueOf(value), expected);
            }
        }

        void problem(String key, String value, String expected) {
            problem(key, value, null, expected);
        }

        /** A bad value, with where it was looked for (or null). */
        void problem(String key, String value, String where, String expected) {
            // one model's entry is set through the whole map: KODIAK_MODELS=name=path,...
            String variable = key.startsWith(MODELS_KEY + ".") ? Setting.env(MODELS_KEY)
                    + " (name=path pairs)" : Setting.env(key);
            problems.add(key + " (env " + variable + ") is '" + value + "'"
                    + (where == null ? "" : " (" + where + ")") + " but must be " + expected);
        }

        void fail() {
            if (!problems.isEmpty()) {
                throw new InvalidSettingsException("Invalid configuration: "
                        + problems.joined());
            }
        }
    }
}
