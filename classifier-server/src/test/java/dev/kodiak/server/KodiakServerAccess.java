package dev.kodiak.server;

import io.helidon.health.HealthCheckResponse;

/** Test access to the readiness check. */
final class KodiakServerAccess {
    private KodiakServerAccess() {
    }

    static HealthCheckResponse readiness(ModelRegistry registry) {
        return KodiakServer.readiness(registry);
    }
}
