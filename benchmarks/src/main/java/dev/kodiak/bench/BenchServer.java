package dev.kodiak.bench;

import dev.kodiak.server.KodiakServer;
import dev.kodiak.server.ServerSettings;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Kodiak's server for a benchmark: loopback, a free port, the benchmark's libtorch threads. */
final class BenchServer {
    private BenchServer() {
    }

    /**
     * Starts a server with the jar's defaults plus these settings, and waits for its models.
     *
     * @param environment settings as environment variables ({@code KODIAK_MODELS}, ...)
     * @return the ready server
     * @throws Exception if it does not start or its models do not load within 2 minutes
     */
    static KodiakServer start(Map<String, String> environment) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of(
                "KODIAK_THREADS_INTRA_OP", Integer.toString(Engine.THREADS),
                "KODIAK_THREADS_INTER_OP", "1", "KODIAK_BATCHING_QUEUE_CAPACITY", "256"));
        env.putAll(environment);
        return startWithDefaults(env);
    }

    /**
     * Starts a server with the jar's defaults, threads included, plus these settings.
     *
     * @param environment settings as environment variables
     * @return the ready server
     * @throws Exception if it does not start or its models do not load within 2 minutes
     */
    static KodiakServer startWithDefaults(Map<String, String> environment) throws Exception {
        Config config = Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.classpath("application.yaml")).build();
        Map<String, String> env = new HashMap<>(Map.of("SERVER_PORT", "0",
                "SERVER_HOST", "127.0.0.1"));
        env.putAll(environment);
        KodiakServer server = KodiakServer.start(ServerSettings.read(config, env, Inputs.root()),
                e -> {
                    throw new IllegalStateException(e);
                });
        if (!server.awaitReady(Duration.ofMinutes(2))) {
            server.stop();
            throw new IllegalStateException("the models of " + env.get("KODIAK_MODELS")
                    + " did not load in 2 minutes");
        }
        return server;
    }
}
