package dev.kodiak.server.json;

import jakarta.json.spi.JsonProvider;

/**
 * The server's one JSON-P provider, looked up once. {@code jakarta.json.Json.createObjectBuilder()}
 * and its kin look the provider up again on every call (a {@code ServiceLoader} scan of the class
 * path): 160-490 µs a call with the distribution's 123 jars on a busy 2-core machine, against
 * under 0.5 µs through a held provider; an answer makes a dozen such calls. Use {@link #JSON} instead:
 * {@code JSON.createObjectBuilder()}.
 */
public final class JsonP {
    /** The provider (Parsson), thread-safe, shared by every request. */
    public static final JsonProvider JSON = JsonProvider.provider();

    private JsonP() {
    }
}
