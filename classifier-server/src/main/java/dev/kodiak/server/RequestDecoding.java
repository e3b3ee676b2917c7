package dev.kodiak.server;

import io.helidon.http.encoding.ContentDecoder;
import io.helidon.http.encoding.ContentEncoder;
import io.helidon.http.encoding.ContentEncoding;
import io.helidon.http.encoding.ContentEncodingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * Request bodies sent compressed as a whole ({@code Content-Encoding: gzip} or {@code deflate},
 * as tritonclient's {@code request_compression_algorithm} sends them) are inflated as they are
 * read, so the body limit counts inflated bytes and a small bomb cannot grow past it. Helidon's
 * own gzip and deflate modules are not served from this project's registry, and answers are not
 * compressed (browsers get the blog's files as they are).
 *
 * <p>Immutable and thread-safe.
 */
final class RequestDecoding implements ContentEncoding {
    private final String name;

    private RequestDecoding(String name) {
        this.name = name;
    }

    /**
     * The server's content encodings: gzip and deflate, for request bodies only.
     *
     * @return the context to give the web server
     */
    static ContentEncodingContext context() {
        return ContentEncodingContext.builder().contentEncodingsDiscoverServices(false)
                .addContentEncoding(new RequestDecoding("gzip"))
                .addContentEncoding(new RequestDecoding("deflate")).build();
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> ids() {
        return name.equals("gzip") ? Set.of("gzip", "x-gzip") : Set.of("deflate");
    }

    /** {@inheritDoc} */
    @Override
    public boolean supportsEncoding() {
        return false;
    }

    /** {@inheritDoc} */
    @Override
    public boolean supportsDecoding() {
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public ContentDecoder decoder() {
        return network -> {
            if (name.equals("deflate")) {
                return new InflaterInputStream(network); // zlib-wrapped, as HTTP's deflate is
            }
            try {
                return new GZIPInputStream(network);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    /** {@inheritDoc} */
    @Override
    public ContentEncoder encoder() {
        throw new UnsupportedOperationException("Kodiak does not compress its answers");
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return name;
    }

    /** {@inheritDoc} */
    @Override
    public String type() {
        return name;
    }
}
