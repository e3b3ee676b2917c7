package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;

import dev.kodiak.server.grpc.health.HealthCheckRequest;
import dev.kodiak.server.grpc.health.HealthCheckResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * gRPC's Health Checking Protocol ({@code grpc.health.v1.Health}) on the main port, called as
 * Kubernetes' gRPC probe and {@code grpc_health_probe} call it. The messages are written here
 * byte by byte from the specification (grpc/grpc doc/health-checking.md: {@code service} is
 * field 1, a string; {@code status} is field 1, an enum with SERVING = 1, NOT_SERVING = 2), not
 * with the server's generated classes.
 */
class GrpcHealthTest {
    private static final int SERVING = 1;
    private static final int NOT_SERVING = 2;

    /** The wire bytes of a {@code HealthCheckRequest} naming a service. */
    private static byte[] request(String service) {
        byte[] name = service.getBytes(StandardCharsets.UTF_8);
        if (name.length == 0) {
            return new byte[0]; // proto3 leaves a field at its default out
        }
        byte[] out = new byte[2 + name.length];
        out[0] = 0x0a; // field 1, length-delimited
        out[1] = (byte) name.length; // the names here are under 128 bytes
        System.arraycopy(name, 0, out, 2, name.length);
        return out;
    }

    /** The {@code status} of a {@code HealthCheckResponse}'s wire bytes (0 when absent). */
    private static int status(byte[] response) {
        if (response.length == 0) {
            return 0;
        }
        assertThat("field 1, varint", response[0], is((byte) 0x08));
        return response[1];
    }

    private static MethodDescriptor<byte[], byte[]> method(String name,
            MethodDescriptor.MethodType type) {
        return MethodDescriptor.<byte[], byte[]>newBuilder().setType(type)
                .setFullMethodName("grpc.health.v1.Health/" + name)
                .setRequestMarshaller(OipGrpcClient.BYTES)
                .setResponseMarshaller(OipGrpcClient.BYTES).build();
    }

    private static byte[] check(ManagedChannel channel, String service) {
        return ClientCalls.blockingUnaryCall(channel, method("Check",
                MethodDescriptor.MethodType.UNARY), CallOptions.DEFAULT.withDeadlineAfter(30,
                TimeUnit.SECONDS), request(service));
    }

    @Test
    void aReadyServerIsServingForItselfAndForInferenceAndUnknownServicesAreNotFound()
            throws Exception {
        try (TestServer server = TestServer.start(Map.of())) {
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1",
                    server.port()).usePlaintext().build();
            try {
                assertThat("the whole server", status(check(channel, "")), is(SERVING));
                assertThat(status(check(channel, "inference.GRPCInferenceService")),
                        is(SERVING));

                StatusRuntimeException unknown = OipGrpcClient.failure(() ->
                        check(channel, "inference.NoSuchService"));
                assertThat(unknown.getStatus().getCode(), is(Status.Code.NOT_FOUND));
                assertThat(unknown.getStatus().getDescription(),
                        containsString("inference.NoSuchService"));

                Iterator<byte[]> watch = ClientCalls.blockingServerStreamingCall(channel,
                        method("Watch", MethodDescriptor.MethodType.SERVER_STREAMING),
                        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                        request(""));
                StatusRuntimeException streamed = OipGrpcClient.failure(watch::hasNext);
                assertThat(streamed.getStatus().getCode(), is(Status.Code.UNIMPLEMENTED));
                assertThat("the channel still serves after a refusal",
                        status(check(channel, "")), is(SERVING));
            } finally {
                channel.shutdownNow();
            }
            assertThat("health calls are counted like every gRPC call",
                    server.get("/observe/metrics").body(), matchesPattern("(?s).*"
                    + "kodiak_grpc_requests_total\\{[^}]*code=\"NOT_FOUND\"[^}]*method=\""
                    + "grpc.health.v1.Health/Check\"[^}]*\\}.*|(?s).*kodiak_grpc_requests_total"
                    + "\\{[^}]*method=\"grpc.health.v1.Health/Check\"[^}]*code=\"NOT_FOUND\""
                    + "[^}]*\\}.*"));
        }
    }

    @Test
    void notServingWhileTheModelsLoad() throws Exception {
        ServerSettings settings = TestServer.settings(Map.of());
        DecodeStage decodes = new DecodeStage(1, new MemoryBudget("decoding", 64L << 20),
                Duration.ZERO, settings.maxPixels());
        ModelManager models = new ModelManager(settings, new ServerMetrics(), decodes,
                e -> { throw new AssertionError(e); });
        try {
            GrpcHealth health = new GrpcHealth(models::ready);
            assertThat(answer(health, ""), is(HealthCheckResponse.ServingStatus.NOT_SERVING));
            models.startLoading();
            assertThat(models.awaitReady(Duration.ofSeconds(120)), is(true));
            assertThat(answer(health, ""), is(HealthCheckResponse.ServingStatus.SERVING));
            assertThat(answer(health, "inference.GRPCInferenceService"),
                    is(HealthCheckResponse.ServingStatus.SERVING));
        } finally {
            models.close();
            decodes.close();
        }
        assertThat(NOT_SERVING, is(HealthCheckResponse.ServingStatus.NOT_SERVING.getNumber()));
        assertThat(SERVING, is(HealthCheckResponse.ServingStatus.SERVING.getNumber()));
    }

    private static HealthCheckResponse.ServingStatus answer(GrpcHealth health, String service) {
        List<HealthCheckResponse> answers = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        health.check(HealthCheckRequest.newBuilder().setService(service).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(HealthCheckResponse value) {
                        answers.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        failures.add(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        assertThat(failures.toString(), failures.isEmpty(), is(true));
        assertThat(answers.size(), is(1));
        return answers.get(0).getStatus();
    }
}
