package dev.kodiak.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import dev.kodiak.core.testing.Fixtures;

/** Checks shared by the server tests. */
final class ApiTestSupport {
    private ApiTestSupport() {
    }

    /** The server still classifies a good image. */
    static void assertServing(TestServer server) throws Exception {
        assertThat(server.post("/api/v1/classify", "image/png",
                Fixtures.image("png-small.png").bytes()).statusCode(), is(200));
    }
}
