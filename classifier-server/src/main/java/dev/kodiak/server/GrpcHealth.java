package dev.kodiak.server;

import dev.kodiak.server.grpc.GRPCInferenceServiceGrpc;
import dev.kodiak.server.grpc.health.HealthCheckRequest;
import dev.kodiak.server.grpc.health.HealthCheckResponse;
import dev.kodiak.server.grpc.health.HealthCheckResponse.ServingStatus;
import dev.kodiak.server.grpc.health.HealthGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * gRPC's standard health check ({@code grpc.health.v1.Health}) on the main port, so that
 * Kubernetes' {@code grpc} probes, Envoy and {@code grpc_health_probe} can tell whether the
 * gRPC side serves, as {@code /observe/health/ready} tells HTTP clients.
 *
 * <p>{@code Check} answers {@code SERVING} for the whole server ({@code ""}) and for
 * {@code inference.GRPCInferenceService} when the server is ready (the same verdict as the
 * readiness check and {@code ServerReady}), {@code NOT_SERVING} while models load, and the
 * status {@code NOT_FOUND} for any other service name, as the specification says.
 * {@code Watch} answers {@code UNIMPLEMENTED}: the specification lets a server leave it out,
 * and a client polls {@code Check} instead.
 *
 * <p>Thread-safe.
 */
final class GrpcHealth extends HealthGrpc.HealthImplBase {
    /** The service names with a status: the whole server and the inference service. */
    static final Set<String> SERVICES = Set.of("",
            GRPCInferenceServiceGrpc.SERVICE_NAME);

    private final BooleanSupplier ready;

    /**
     * A health service over the server's readiness.
     *
     * @param ready whether the server is ready for inference
     */
    GrpcHealth(BooleanSupplier ready) {
        this.ready = ready;
    }

    /** {@inheritDoc} */
    @Override
    public void check(HealthCheckRequest request,
            StreamObserver<HealthCheckResponse> observer) {
        if (!SERVICES.contains(request.getService())) {
            observer.onError(Status.NOT_FOUND.withDescription("No health status for service '"
                    + request.getService() + "'; ask for \"\" (the whole server) or '"
                    + GRPCInferenceServiceGrpc.SERVICE_NAME + "'").asRuntimeException());
            return;
        }
        observer.onNext(HealthCheckResponse.newBuilder().setStatus(ready.getAsBoolean()
                ? ServingStatus.SERVING : ServingStatus.NOT_SERVING).build());
        observer.onCompleted();
    }

    /** {@inheritDoc} */
    @Override
    public void watch(HealthCheckRequest request,
            StreamObserver<HealthCheckResponse> observer) {
        observer.onError(Status.UNIMPLEMENTED.withDescription("Kodiak does not stream health "
                + "changes; call grpc.health.v1.Health/Check").asRuntimeException());
    }
}
