package dev.kodiak.server;

import com.google.protobuf.ByteString;
import dev.kodiak.server.grpc.GRPCInferenceServiceGrpc;
import dev.kodiak.server.grpc.InferParameter;
import dev.kodiak.server.grpc.ModelInferRequest;
import dev.kodiak.server.grpc.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A gRPC client of the Open Inference Protocol, as tritonclient.grpc calls a server: a plain
 * text channel (h2c with prior knowledge), {@code raw_input_contents} laid out as the protocol
 * says (written here from the specification, not with the server's code), and the answers read
 * back the same way.
 */
final class OipGrpcClient implements AutoCloseable {
    private final ManagedChannel channel;

    OipGrpcClient(int port) {
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .maxInboundMessageSize(Integer.MAX_VALUE).build();
    }

    ManagedChannel channel() {
        return channel;
    }

    /** A stub with a generous deadline (the first call of a cold JVM is slow). */
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub() {
        return GRPCInferenceServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    /** A stub that sends these metadata entries with every call. */
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub(Map<String, String> metadata) {
        Metadata headers = new Metadata();
        metadata.forEach((k, v) -> headers.put(Metadata.Key.of(k,
                Metadata.ASCII_STRING_MARSHALLER), v));
        return stub().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /**
     * Messages as their raw bytes on the wire, for calls whose messages a test writes byte by
     * byte from a specification, or that are not the method's protobuf at all.
     */
    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /** The failure a call ends with. */
    static StatusRuntimeException failure(Supplier<?> call) {
        try {
            Object answer = call.get();
            throw new AssertionError("expected a failure, got " + answer);
        } catch (StatusRuntimeException e) {
            return e;
        }
    }

    static Status.Code code(StatusRuntimeException e) {
        return e.getStatus().getCode();
    }

    /** BYTES elements as raw contents: each a 4-byte little-endian length, then its bytes. */
    static ByteString rawBytes(List<byte[]> elements) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] e : elements) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(e.length).array());
            out.writeBytes(e);
        }
        return ByteString.copyFrom(out.toByteArray());
    }

    /** FP32 values as raw contents: 4 little-endian bytes each. */
    static ByteString rawFloats(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return ByteString.copyFrom(b.array());
    }

    /** The images as the input {@code image}, BYTES [N], in raw_input_contents. */
    static ModelInferRequest.Builder images(String model, List<byte[]> images) {
        return ModelInferRequest.newBuilder().setModelName(model)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image")
                        .setDatatype("BYTES").addShape(images.size()))
                .addRawInputContents(rawBytes(images));
    }

    /** The output {@code probabilities} with the classification extension's count. */
    static ModelInferRequest.InferRequestedOutputTensor classification(long k) {
        return ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("probabilities")
                .putParameters("classification", InferParameter.newBuilder().setInt64Param(k)
                        .build()).build();
    }

    /** An output's raw contents, found by its name as tritonclient's as_numpy finds it. */
    static ByteString raw(ModelInferResponse response, String name) {
        for (int i = 0; i < response.getOutputsCount(); i++) {
            if (response.getOutputs(i).getName().equals(name)) {
                return response.getRawOutputContents(i);
            }
        }
        throw new AssertionError("no output " + name + " in " + response.getOutputsList());
    }

    static float[] floats(ByteString raw) {
        ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[b.remaining() / 4];
        for (int i = 0; i < values.length; i++) {
            values[i] = b.getFloat();
        }
        return values;
    }

    static List<String> strings(ByteString raw) {
        ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        List<String> out = new ArrayList<>();
        while (b.hasRemaining()) {
            byte[] e = new byte[b.getInt()];
            b.get(e);
            out.add(new String(e, StandardCharsets.UTF_8));
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
}
