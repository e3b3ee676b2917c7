package dev.kodiak.server;

import dev.kodiak.core.ClassifierConfig;
import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.infer.InferenceEngine;
import io.helidon.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Everything the server can be told, read from the {@code kodiak} node of
 * {@code application.yaml}. Every key can be overridden by an environment variable named after
 * it: upper case, dots and dashes as underscores ({@code kodiak.limits.max-body-bytes} is
 * {@code KODIAK_LIMITS_MAX_BODY_BYTES}); lists and maps are comma-separated
 * ({@code KODIAK_MODELS=fashion-mnist=models/fashion-mnist,pets=/srv/pets.zip}).
 *
 * <p>{@link #read} checks every value and reports all problems at once, naming the keys.
 *
 * @param port the HTTP port ({@code server.port} / {@code SERVER_PORT}), 0 for any free port
 * @param host the address to bind
 * @param models bundle paths by model name, in order
 * @param defaultModel the model behind {@code /api/v1/classify} and {@code /predict}
 * @param maxBodyBytes the largest request body
 * @param maxPixels the largest image, in pixels
 * @param requestTimeout the deadline of one classification, from arrival to answer
 * @param uploadTimeout how long reading a request body may take
 * @param maxConcurrentDecodes the platform threads decoding uploads at once; how many large
 *     photos decode together is bounded by {@code decodeMemory}
 * @param decodeMemory the heap all decodes in flight may take, by their estimated peak
 * @param bodyMemory the heap all request bodies buffered at once may take
 * @param admissionWait how long an upload may wait for decode memory before a 503
 * @param maxConcurrentRequests requests served at once; more get a 503 from the server
 * @param batching micro-batching settings
 * @param engine the runtime that runs the models; auto prefers ONNX Runtime
 * @param intraOpThreads the forward pass's intra-op threads, 0 for Kodiak's default
 * @param interOpThreads the forward pass's inter-op threads, 0 for Kodiak's default
 * @param corsOrigins origins allowed to call the API from a browser; {@code *} for any
 * @param site a directory holding a built site to serve at {@code /}, or empty for the blog
 *     built into the server
 * @param shutdownGrace how long in-flight requests may run after a stop signal
 */
public record ServerSettings(int port, String host, Map<String, Path> models, String defaultModel,
        long maxBodyBytes, long maxPixels, Duration requestTimeout, Duration uploadTimeout,
        int maxConcurrentDecodes, long decodeMemory, long bodyMemory, Duration admissionWait,
        int maxConcurrentRequests, Batching batching, InferenceEngine engine,
        int intraOpThreads, int interOpThreads,
        List<String> corsOrigins, Optional<Path> site, Duration shutdownGrace) {

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

    /**
     * Every configuration key the server reads, for tools and tests that check deployment
     * files against it ({@code kodiak.models.NAME} entries are spelled {@code kodiak.models}).
     */
    public static final List<String> KEYS = List.of("server.port",
            "server.host", "server.shutdown-grace-period", "kodiak.models",
            "kodiak.default-model", "kodiak.limits.max-body-bytes", "kodiak.limits.max-pixels",
            "kodiak.limits.request-timeout", "kodiak.limits.upload-timeout",
            "kodiak.limits.max-concurrent-decodes", "kodiak.limits.decode-memory",
            "kodiak.limits.body-memory", "kodiak.limits.admission-wait",
            "kodiak.limits.max-concurrent-requests", "kodiak.batching.enabled",
            "kodiak.batching.max-batch-size", "kodiak.batching.max-wait",
            "kodiak.batching.queue-capacity", "kodiak.batching.workers", "kodiak.engine",
            "kodiak.threads.intra-op",
            "kodiak.threads.inter-op", "kodiak.cors.allow-origins", "kodiak.site");

    /**
     * The environment variable that overrides a key.
     *
     * @param key a configuration key such as {@code kodiak.limits.max-body-bytes}
     * @return its variable, such as {@code KODIAK_LIMITS_MAX_BODY_BYTES}
     */
    public static String environmentVariable(String key) {
        return Reader.envName(key);
    }

    /**
     * How the server opens a model: its pixel limit, batch size, engine and threads.
     *
     * @param bundle one of {@link #models()}
     * @return the classifier configuration
     */
    public ClassifierConfig classifierConfig(Path bundle) {
        return ClassifierConfig.builder(bundle).maxPixels(maxPixels)
                .maxBatchSize(batching.maxBatchSize()).engine(engine)
                .intraOpThreads(intraOpThreads)
                .interOpThreads(interOpThreads).build();
    }

    /** Copies the collections. */
    public ServerSettings {
        models = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(models));
        corsOrigins = List.copyOf(corsOrigins);
    }

    /** Thrown when settings are invalid; the message names every bad key. */
    public static final class InvalidSettingsException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InvalidSettingsException(String message) {
            super(message);
        }
    }

    /**
     * Reads and checks the settings.
     *
     * @param config the root configuration (application.yaml and friends)
     * @param env the environment variables
     * @param home the directory relative bundle and site paths are resolved against
     * @return the settings
     * @throws InvalidSettingsException naming every invalid key and its value
     */
    public static ServerSettings read(Config config, Map<String, String> env, Path home) {
        Reader r = new Reader(config, env);
        int port = r.get("server.port", "8080", Integer::parseInt, "a port number");
        String host = r.get("server.host", "0.0.0.0", Function.identity(), "an address");
        Map<String, Path> models = new LinkedHashMap<>();
        String modelsText = r.raw("kodiak.models");
        if (modelsText != null) {
            for (String entry : modelsText.split(",")) {
                String[] parts = entry.split("=", 2);
                if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                    r.problem("kodiak.models", entry, "name=path pairs");
                } else {
                    models.put(parts[0].trim(), home.resolve(parts[1].trim()).normalize());
                }
            }
        } else {
            Config node = config.get("kodiak.models");
            for (Config model : node.asNodeList().orElse(List.of())) {
                String path = model.asString().orElse("");
                if (path.isBlank()) {
                    r.problem("kodiak.models." + model.name(), path, "a bundle path");
                } else {
                    models.put(model.name(), home.resolve(path).normalize());
                }
            }
        }
        if (models.isEmpty()) {
            r.problem("kodiak.models", "", "at least one name: bundle-path entry");
        }
        for (Map.Entry<String, Path> model : models.entrySet()) {
            if (!Manifest.isValidName(model.getKey())) {
                r.problem("kodiak.models." + model.getKey(), model.getKey(),
                        "a name of a-z, 0-9, '.', '_', '-' (it appears in URLs)");
            }
            if (!java.nio.file.Files.exists(model.getValue())) {
                r.problem("kodiak.models." + model.getKey(), model.getValue().toString(),
                        "the path of an existing bundle directory or zip");
            }
        }
        String defaultModel = r.get("kodiak.default-model",
                models.isEmpty() ? "" : models.keySet().iterator().next(), Function.identity(),
                "a model name");
        if (!models.isEmpty() && !models.containsKey(defaultModel)) {
            r.problem("kodiak.default-model", defaultModel, "one of " + models.keySet());
        }
        long maxBody = r.get("kodiak.limits.max-body-bytes", "10485760", Long::parseLong,
                "a byte count");
        r.check(maxBody >= 1024 && maxBody <= (1L << 31) - 1, "kodiak.limits.max-body-bytes",
                maxBody, "from 1024 to 2147483647");
        long maxPixels = r.get("kodiak.limits.max-pixels",
                Long.toString(ImageDecoder.DEFAULT_MAX_PIXELS), Long::parseLong,
                "a pixel count");
        r.check(maxPixels >= 1, "kodiak.limits.max-pixels", maxPixels, "at least 1");
        Duration requestTimeout = r.get("kodiak.limits.request-timeout", "PT10S",
                Duration::parse, "an ISO-8601 duration such as PT10S");
        r.check(!requestTimeout.isNegative() && !requestTimeout.isZero(),
                "kodiak.limits.request-timeout", requestTimeout, "positive");
        Duration uploadTimeout = r.get("kodiak.limits.upload-timeout", "PT30S", Duration::parse,
                "an ISO-8601 duration such as PT30S");
        r.check(!uploadTimeout.isNegative() && !uploadTimeout.isZero(),
                "kodiak.limits.upload-timeout", uploadTimeout, "positive");
        int cores = Runtime.getRuntime().availableProcessors();
        int decodes = r.get("kodiak.limits.max-concurrent-decodes",
                Integer.toString(Math.max(4, 2 * cores)), Integer::parseInt, "a count");
        r.check(decodes >= 1, "kodiak.limits.max-concurrent-decodes", decodes, "at least 1");
        long heap = Runtime.getRuntime().maxMemory();
        long decodeMemory = r.get("kodiak.limits.decode-memory", Long.toString(heap / 2),
                Long::parseLong, "a byte count");
        r.check(decodeMemory >= 16L << 20, "kodiak.limits.decode-memory", decodeMemory,
                "at least 16777216 (16 MiB)");
        long bodyMemory = r.get("kodiak.limits.body-memory",
                Long.toString(Math.max(heap / 8, 2 * maxBody)), Long::parseLong, "a byte count");
        // a chunked body holds its pieces and its final array at once: twice its size
        r.check(bodyMemory >= 2 * maxBody, "kodiak.limits.body-memory", bodyMemory,
                "at least twice kodiak.limits.max-body-bytes (" + 2 * maxBody + "), so that the "
                + "largest body accepted fits");
        Duration admissionWait = r.get("kodiak.limits.admission-wait", "PT0.5S",
                Duration::parse, "an ISO-8601 duration such as PT0.5S");
        r.check(!admissionWait.isNegative(), "kodiak.limits.admission-wait", admissionWait,
                "0 or more");
        int maxRequests = r.get("kodiak.limits.max-concurrent-requests", "256",
                Integer::parseInt, "a count");
        r.check(maxRequests >= 1, "kodiak.limits.max-concurrent-requests", maxRequests,
                "at least 1");
        boolean batching = r.get("kodiak.batching.enabled", "true", Reader::bool, "true or false");
        int maxBatch = r.get("kodiak.batching.max-batch-size", "16", Integer::parseInt, "a count");
        r.check(maxBatch >= 1 && maxBatch <= 1024, "kodiak.batching.max-batch-size", maxBatch,
                "from 1 to 1024");
        Duration maxWait = r.get("kodiak.batching.max-wait", "PT0.005S", Duration::parse,
                "an ISO-8601 duration such as PT0.005S");
        r.check(!maxWait.isNegative() && maxWait.compareTo(Duration.ofSeconds(1)) <= 0,
                "kodiak.batching.max-wait", maxWait, "from 0 to 1 second");
        int queue = r.get("kodiak.batching.queue-capacity", "64", Integer::parseInt, "a count");
        r.check(queue >= 1, "kodiak.batching.queue-capacity", queue, "at least 1");
        int workers = r.get("kodiak.batching.workers", "1", Integer::parseInt, "a count");
        r.check(workers >= 1 && workers <= 64, "kodiak.batching.workers", workers,
                "from 1 to 64");
        InferenceEngine engine = r.get("kodiak.engine", "auto", InferenceEngine::parse,
                "auto, onnxruntime or pytorch");
        int intra = r.get("kodiak.threads.intra-op", "0", Integer::parseInt, "a count");
        int inter = r.get("kodiak.threads.inter-op", "0", Integer::parseInt, "a count");
        r.check(intra >= 0, "kodiak.threads.intra-op", intra, "0 (default) or more");
        r.check(inter >= 0, "kodiak.threads.inter-op", inter, "0 (default) or more");
        List<String> origins = r.list("kodiak.cors.allow-origins", List.of("*"));
        for (String origin : origins) {
            r.check(origin.equals("*") || origin.matches("https?://[^/\\s]+"),
                    "kodiak.cors.allow-origins", origin, "* or origins like https://blog.example");
        }
        String siteText = r.get("kodiak.site", "", Function.identity(), "a directory");
        Optional<Path> site = siteText.isBlank() ? Optional.empty()
                : Optional.of(home.resolve(siteText).normalize());
        site.ifPresent(p -> r.check(java.nio.file.Files.isDirectory(p), "kodiak.site", p,
                "an existing directory with a built site"));
        Duration grace = r.get("server.shutdown-grace-period", "PT30S", Duration::parse,
                "an ISO-8601 duration such as PT30S");
        r.fail();
        return new ServerSettings(port, host, models, defaultModel, maxBody, maxPixels,
                requestTimeout, uploadTimeout, decodes, decodeMemory, bodyMemory, admissionWait,
                maxRequests,
                new Batching(batching, batching ? maxBatch : 1, batching ? maxWait : Duration.ZERO,
                        queue, workers),
                engine, intra, inter, origins, site, grace);
    }

    /** Looks a key up in the environment first, then in the configuration. */
    private static final class Reader {
        private final Config config;
        private final Map<String, String> env;
        private final List<String> problems = new ArrayList<>();

        Reader(Config config, Map<String, String> env) {
            this.config = config;
            this.env = env;
        }

        static String envName(String key) {
            return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
        }

        String raw(String key) {
            String fromEnv = env.get(envName(key));
            if (fromEnv != null) {
                return fromEnv;
            }
            Config node = config.get(key);
            if (node.isLeaf()) {
                return node.asString().orElse(null);
            }
            if (node.type() == Config.Type.LIST) {
                return String.join(",", node.asList(String.class).orElse(List.of()));
            }
            return null;
        }

        <T> T get(String key, String fallback, Function<String, T> parse, String expected) {
            String text = raw(key);
            String value = text == null ? fallback : text.trim();
            try {
                return parse.apply(value);
            } catch (RuntimeException e) {
                problem(key, value, expected);
                return parse.apply(fallback);
            }
        }

        List<String> list(String key, List<String> fallback) {
            String text = raw(key);
            if (text == null) {
                return fallback;
            }
            List<String> values = new ArrayList<>();
            for (String v : text.split(",")) {
                if (!v.isBlank()) {
                    values.add(v.trim());
                }
            }
            return values;
        }

        static boolean bool(String text) {
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new IllegalArgumentException(text);
            };
        }

        void check(boolean ok, String key, Object value, String expected) {
            if (!ok) {
                problem(key, String.valueOf(value), expected);
            }
        }

        void problem(String key, String value, String expected) {
            // one model's entry is set through the whole map: KODIAK_MODELS=name=path,...
            String env = key.startsWith("kodiak.models.") ? envName("kodiak.models")
                    + " (name=path pairs)" : envName(key);
            problems.add(key + " (env " + env + ") is '" + value + "' but must be "
                    + expected);
        }

        void fail() {
            if (!problems.isEmpty()) {
                throw new InvalidSettingsException("Invalid configuration: "
                        + String.join("; ", problems));
            }
        }
    }

}
