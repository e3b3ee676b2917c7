package dev.kodiak.web;

import dev.kodiak.core.topk.TopKOptions;
import org.teavm.jso.JSObject;
import org.teavm.jso.file.Blob;

/**
 * Talks to a Kodiak server: fetches a model's description and sends model-sized PNGs to be
 * classified ({@code prepared=model}: the server does not resize them again). Answers and
 * failures come back through {@link Listener}, already in plain words.
 */
final class ApiClient {
    /** What the widget hears back. */
    interface Listener {
        /** A parsed JSON answer. */
        void answer(JSObject json);

        /** A failure, explained for people; {@code retryAfterSeconds} when it is worth retrying. */
        void failure(String message, int retryAfterSeconds);
    }

    private final String endpoint;
    private final String model;

    /**
     * Creates a client.
     *
     * @param endpoint the server's base URL, empty for the page's own origin
     * @param model the model name
     */
    ApiClient(String endpoint, String model) {
        this.endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1)
                : endpoint;
        this.model = model;
    }

    String modelUrl() {
        return endpoint + "/api/v1/models/" + encode(model);
    }

    /** Fetches the model's labels and input spec. */
    void describe(Listener listener) {
        Browser.get(modelUrl(), (status, body, retryAfter) -> handle(status, body, retryAfter,
                listener));
    }

    /** Sends a PNG of the model's input size, resized with the model's input spec. */
    void classify(Blob image, TopKOptions options, Listener listener) {
        String query = "?prepared=model&top_k=" + options.k() + (options.threshold() > 0
                ? "&threshold=" + options.threshold() : "");
        Browser.post(modelUrl() + "/classify" + query, image, "image/png",
                (status, body, retryAfter) -> handle(status, body, retryAfter, listener));
    }

    private void handle(int status, String body, String retryAfter, Listener listener) {
        if (status == 0) {
            listener.failure("Can't reach the classifier" + (endpoint.isEmpty() ? ""
                    : " at " + endpoint) + ". Check your connection, then try again.", 0);
            return;
        }
        JSObject json = null;
        try {
            json = Browser.parse(body);
        } catch (RuntimeException e) {
            // not JSON: a proxy's error page, say
        }
        if (status == 200 && json != null) {
            listener.answer(json);
            return;
        }
        String serverMessage = json == null ? null
                : Browser.string(Browser.get(json, "error"), "message");
        listener.failure(explain(status, serverMessage), status == 503
                ? Math.max(1, parseInt(retryAfter, 2)) : 0);
    }

    static String explain(int status, String serverMessage) {
        switch (status) {
            case 404:
                return "This classifier doesn't know the model it was set up with. "
                        + (serverMessage == null ? "" : serverMessage);
            case 413:
                return "That image is too large to send. Try a smaller photo.";
            case 415:
            case 422:
                return "The server couldn't read that image. "
                        + (serverMessage == null ? "Try a JPEG or PNG photo." : serverMessage);
            case 503:
                return "The classifier is busy right now.";
            default:
                return "Something went wrong (HTTP " + status + "). Please try again."
                        + (serverMessage == null ? "" : " " + serverMessage);
        }
    }

    private static int parseInt(String text, int fallback) {
        try {
            return text == null ? fallback : Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static String encode(String text) {
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.') {
                out.append(c);
            } else {
                out.append('%').append(Integer.toHexString(0x100 | c).substring(1).toUpperCase());
            }
        }
        return out.toString();
    }
}
