package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Body parsing alone, on bytes: the part of a request the fuzzer also feeds. */
class ImageRequestTest {
    private static final byte[] PIXELS = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};

    private static byte[] form(String disposition) {
        String head = "--b0undary\r\nContent-Disposition: " + disposition
                + "\r\nContent-Type: image/png\r\n\r\n";
        String tail = "\r\n--b0undary\r\nContent-Disposition: form-data; name=\"top_k\"\r\n"
                + "\r\n3\r\n--b0undary--\r\n";
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] t = tail.getBytes(StandardCharsets.ISO_8859_1);
        byte[] body = new byte[h.length + PIXELS.length + t.length];
        System.arraycopy(h, 0, body, 0, h.length);
        System.arraycopy(PIXELS, 0, body, h.length, PIXELS.length);
        System.arraycopy(t, 0, body, h.length + PIXELS.length, t.length);
        return body;
    }

    private static ImageRequest parseForm(String disposition) {
        return ImageRequest.parse(form(disposition), "multipart/form-data; boundary=b0undary");
    }

    @Test
    void aQuotedFileNameMayHoldSemicolonsAndEquals() {
        ImageRequest r = parseForm("form-data; filename=\"x; name=evil.png\"; name=\"image\"");
        assertThat(r.image(), is(PIXELS));
        assertThat(r.parameters(), is(Map.of("top_k", "3")));
    }

    @Test
    void unquotedAndQuotedNamesBothWork() {
        assertThat(parseForm("form-data; name=image; filename=a.png").image(), is(PIXELS));
        assertThat(parseForm("form-data; name=\"image\"").image(), is(PIXELS));
    }

    @Test
    void aFormWithoutAnImageFieldNamesTheFieldsItHas() {
        ApiException e = assertThrows(ApiException.class,
                () -> parseForm("form-data; name=\"photo\""));
        assertThat(e.code(), is("MISSING_FIELD"));
        assertThat(e.getMessage(), is("The form has no 'image' field (it has [photo, top_k]); "
                + "name the file field 'image'"));
    }

    @Test
    void jsonWithBase64AndParameters() {
        ImageRequest r = ImageRequest.parse(("{\"image\": \"data:image/png;base64,iVBORwECAw==\","
                + " \"top_k\": 2, \"labels\": [\"a\", \"b\"]}").getBytes(StandardCharsets.UTF_8),
                "application/json; charset=utf-8");
        assertThat(r.image(), is(PIXELS));
        assertThat(r.parameters(), is(Map.of("top_k", "2", "labels", "a,b")));
    }

    @Test
    void badBodiesAreFourHundreds() {
        assertThat(assertThrows(ApiException.class, () -> ImageRequest.parse(
                "{\"image\": 5}".getBytes(StandardCharsets.UTF_8), "application/json")).code(),
                is("MISSING_FIELD"));
        assertThat(assertThrows(ApiException.class, () -> ImageRequest.parse(
                "{\"image\": \"***\"}".getBytes(StandardCharsets.UTF_8), "application/json"))
                .code(), is("INVALID_BASE64"));
        assertThat(assertThrows(ApiException.class, () -> ImageRequest.parse(
                "[1".getBytes(StandardCharsets.UTF_8), "application/json")).code(),
                is("INVALID_JSON"));
        assertThat(assertThrows(ApiException.class, () -> ImageRequest.parse(new byte[3],
                "text/plain")).status().code(), is(415));
    }
}
