package dev.kodiak.server;

import dev.kodiak.core.Classifier;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.bundle.ModelCheck;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.logging.common.LogConfig;
import java.nio.file.Path;
import java.util.Arrays;

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
     * @param args {@code --check}: load the configuration and every model, warm them up, and
     *     exit 0 (or 2 with the problem) without serving; a container build runs it to check
     *     its bundles and to unpack libtorch into the image
     */
    public static void main(String[] args) {
        boolean check = Arrays.asList(args).contains("--check");
        LogConfig.configureRuntime();
        Path home = Path.of(System.getProperty("kodiak.home", ".")).toAbsolutePath().normalize();
        Config config = Config.builder()
                .addSource(ConfigSources.file(home.resolve("conf/application.yaml")).optional())
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();
        ServerSettings settings;
        KodiakServer server;
        try {
            settings = ServerSettings.read(config, System.getenv(),
                    Path.of("").toAbsolutePath(), home);
            if (check) {
                System.exit(check(settings));
                return;
            }
            server = KodiakServer.start(settings, failure -> {
                System.err.println("kodiak: a model failed to load: " + failure.getMessage());
                Runtime.getRuntime().halt(2);
            });
        } catch (ServerSettings.InvalidSettingsException e) {
            System.err.println("kodiak: " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            // not through java.util.logging: its own shutdown hook may have closed the handlers
            System.err.println("kodiak: stopped; in-flight requests finished, models released");
        }, "kodiak-shutdown"));
    }

    private static int check(ServerSettings settings) {
        for (var model : settings.models().entrySet()) {
            try (var classifier = Classifier.open(settings.classifierConfig(model.getValue()))) {
                System.out.println(checked(model.getKey(), classifier.manifest()));
            } catch (BundleException e) {
                System.err.println("kodiak: kodiak.models." + model.getKey() + ": "
                        + e.getMessage());
                return 2;
            }
        }
        return 0;
    }

    /**
     * What {@code --check} says of a model that opened: that it loads and runs, and what its
     * probe cannot check, if anything (the bundle's check at open does not protect those fields
     * of its input spec).
     */
    static String checked(String model, Manifest manifest) {
        return "kodiak: model " + model + " " + manifest.version() + " loads and runs"
                + ModelCheck.warning(manifest).map(w -> ", but " + w).orElse("");
    }
}
