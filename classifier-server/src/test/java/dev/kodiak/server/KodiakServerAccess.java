package dev.kodiak.server;

import io.helidon.health.HealthCheckResponse;

/** Test access to the server's package-private parts. */
public final class KodiakServerAccess {
    private KodiakServerAccess() {
    }

    static HealthCheckResponse readiness(ModelManager registry) {
        return KodiakServer.readiness(registry);
    }

    /** @return how long stopping the models may take after the web server's grace period */
    public static java.time.Duration modelDrain() {
        return ModelManager.DRAIN;
    }
}
