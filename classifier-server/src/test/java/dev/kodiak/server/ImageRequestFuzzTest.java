package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.blankOrNullString;
import static org.hamcrest.Matchers.both;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.oneOf;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the server's body parsing, {@link ImageRequest#parse(byte[], String)}: multipart forms
 * (mime4j), JSON with a base64 or {@code data:} URL image (JSON-P), raw bodies, and the
 * Content-Type header itself.
 *
 * <p>An input is the Content-Type, a newline, then the body, so that the committed inputs are
 * requests a person can read and write. The contract: an {@link ImageRequest} holding an image
 * and only the parameters the API knows, or an {@link ApiException} with a 4xx status, a code and
 * a message; never another exception, never a 5xx.
 *
 * <p>Regression mode runs the committed inputs in
 * {@code src/test/resources/dev/kodiak/server/ImageRequestFuzzTestInputs/parse/}.
 */
class ImageRequestFuzzTest {
    @FuzzTest(maxDuration = "10m")
    @DictionaryFile(resourcePath = "request.dict")
    @Timeout(10)
    void parse(byte[] input) {
        int newline = indexOf(input, (byte) '\n');
        String contentType = new String(input, 0, newline < 0 ? input.length : newline,
                StandardCharsets.ISO_8859_1);
        byte[] body = newline < 0 ? new byte[0]
                : Arrays.copyOfRange(input, newline + 1, input.length);
        ImageRequest request;
        try {
            request = ImageRequest.parse(body, contentType);
        } catch (ApiException e) {
            assertThat(e.getMessage(), e.status().code(), is(both(greaterThanOrEqualTo(400))
                    .and(lessThan(500))));
            assertThat(e.code(), is(not(blankOrNullString())));
            assertThat(e.getMessage(), is(not(blankOrNullString())));
            return;
        }
        assertThat(request.image(), is(notNullValue()));
        for (String key : request.parameters().keySet()) {
            assertThat(key, is(oneOf("top_k", "threshold", "labels")));
            assertThat(request.parameters().get(key), is(notNullValue()));
        }
    }

    /** Found by this test: mime4j threw IllegalArgumentException or an index error (a 500). */
    @Test
    void aContentTypeWithControlCharactersIsRefusedBeforeMime4jSeesIt() {
        byte[] body = "--x\r\n\r\n--x--\r\n".getBytes(StandardCharsets.ISO_8859_1);
        for (String type : new String[] {"multipart/form-data;\r\u0000oundary=x",
                "multipart/form-data; boundary=x\r", "multipart/form-data; boundary=\nx"}) {
            ApiException e = assertThrows(ApiException.class, () -> ImageRequest.parse(body, type));
            assertThat(e.status().code(), is(415));
            assertThat(e.code(), is("UNSUPPORTED_MEDIA_TYPE"));
        }
        ApiException e = assertThrows(ApiException.class,
                () -> ImageRequest.parse(body, "multipart/form-data;\r\u0000oundary=x"));
        assertThat(e.getMessage(), is("Content-Type 'multipart/form-data;??oundary=x' cannot be "
                + "read: it holds the control character U+000D; " + ImageRequest.ACCEPTED));
    }

    /**
     * Found by this test: Parsson's NumberFormatException on a huge exponent was a 500 (and a
     * number of more than 1,100 digits an UnsupportedOperationException, found in review). The
     * body is now read as a stream and numbers are kept as text, so no BigDecimal is made: the
     * parameter's own check refuses it with a 400 (HardeningTest, against a server).
     */
    @Test
    void aNumberTooLargeForBigDecimalIsKeptAsText() {
        for (String number : new String[] {"1e4002222222222222", "1e-4002222222222222",
                "1e4002222221", "9".repeat(1101)}) {
            ImageRequest request = ImageRequest.parse(("{\"image\": \"iVBORw0K\", \"top_k\": "
                    + number + "}").getBytes(StandardCharsets.UTF_8), "application/json");
            assertThat(request.parameters().get("top_k"), is(number));
        }
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
