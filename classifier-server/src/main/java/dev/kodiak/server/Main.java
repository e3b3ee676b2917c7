package dev.kodiak.server;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.logging.common.LogConfig;
import java.nio.file.Path;

/**
 * Starts Kodiak's server: {@code java -jar kodiak-server.jar}, or {@code bin/kodiak-server} in
 * the distribution. Configuration comes from {@code conf/application.yaml} under the Kodiak home
 * (system property {@code kodiak.home}, default the working directory), then the
 * {@code application.yaml} inside the jar, with environment variables overriding both.
 */
public final class Main {
    private Main() {
    }

    /**
     * Runs the server until the process is stopped (SIGTERM drains in-flight requests).
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        LogConfig.configureRuntime();
        Path home = Path.of(System.getProperty("kodiak.home", ".")).toAbsolutePath().normalize();
        Config config = Config.builder()
                .addSource(ConfigSources.file(home.resolve("conf/application.yaml")).optional())
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();
        ServerSettings settings;
        KodiakServer server;
        try {
            settings = ServerSettings.read(config, System.getenv(), home);
            server = KodiakServer.start(settings, failure -> {
                System.err.println("kodiak: a model failed to load: " + failure.getMessage());
                Runtime.getRuntime().halt(2);
            });
        } catch (ServerSettings.InvalidSettingsException e) {
            System.err.println("kodiak: " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "kodiak-shutdown"));
    }
}
