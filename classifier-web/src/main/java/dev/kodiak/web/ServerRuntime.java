package dev.kodiak.web;

import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Preprocessor;
import dev.kodiak.core.topk.TopKOptions;
import java.util.ArrayList;
import java.util.List;
import org.teavm.jso.JSObject;
import org.teavm.jso.file.Blob;

/**
 * Asks a Kodiak server. The photo is converted and resized on the device by classifier-core's
 * Preprocessor (compiled by TeaVM) with the input spec the server describes, and uploaded as a
 * lossless model-sized PNG with {@code prepared=model}, so the server only applies the tensor
 * step: a 12 MP photo travels as a few hundred bytes and gets the answer of the whole photo.
 */
final class ServerRuntime implements ModelRuntime {
    private final ApiClient api;
    private Preprocessor preprocessor;
    private List<String> labels = List.of();
    private String modelName = "";

    ServerRuntime(ApiClient api) {
        this.api = api;
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "server";
    }

    /** {@inheritDoc} */
    @Override
    public void load(LoadListener listener) {
        listener.status("Connecting to the classifier…");
        api.describe(new ApiClient.Listener() {
            @Override
            public void answer(JSObject json) {
                try {
                    preprocessor = new Preprocessor(JsJson.readSpec(Browser.get(json, "input")));
                    JSObject names = Browser.get(json, "labels");
                    List<String> list = new ArrayList<>();
                    for (int i = 0; i < Math.max(0, Browser.length(names)); i++) {
                        list.add(Browser.asString(Browser.at(names, i)));
                    }
                    labels = List.copyOf(list);
                } catch (RuntimeException e) {
                    listener.failed(new LoadFailure(LoadFailure.Kind.BROKEN, "This "
                            + "classifier's model description is not usable (" + e.getMessage()
                            + ").", String.valueOf(e.getMessage())));
                    return;
                }
                String name = Browser.string(json, "name");
                modelName = name == null ? "" : name;
                listener.ready(modelName);
            }

            @Override
            public void failure(String message, int retryAfterSeconds) {
                listener.failed(new LoadFailure(LoadFailure.Kind.NETWORK, message, message));
            }
        });
    }

    /** {@inheritDoc} */
    @Override
    public List<String> labels() {
        return labels;
    }

    /** {@inheritDoc} */
    @Override
    public String modelName() {
        return modelName;
    }

    /** {@inheritDoc} */
    @Override
    public void classify(Pixels image, TopKOptions options, AnswerListener listener) {
        Pixels resized;
        try {
            resized = preprocessor.resize(image);
        } catch (IllegalArgumentException e) {
            Browser.warn("cannot resize: " + e.getMessage());
            listener.failure("That image is too long and thin for this model. Try cropping it.",
                    0);
            return;
        }
        Browser.png(toRgba(resized), resized.width(), resized.height(), png -> send(png,
                options, listener));
    }

    private void send(Blob png, TopKOptions options, AnswerListener listener) {
        if (png == null) {
            listener.failure("Your browser could not prepare the image. Try another browser.",
                    0);
            return;
        }
        listener.uploaded(png.getSize());
        api.classify(png, options, new ApiClient.Listener() {
            @Override
            public void answer(JSObject json) {
                listener.answer(Answer.fromServer(json));
            }

            @Override
            public void failure(String message, int retryAfterSeconds) {
                listener.failure(message, retryAfterSeconds);
            }
        });
    }

    private static byte[] toRgba(Pixels pixels) {
        byte[] data = pixels.data();
        int n = pixels.width() * pixels.height();
        byte[] rgba = new byte[n * 4];
        boolean gray = pixels.mode() == ColorMode.L;
        for (int i = 0; i < n; i++) {
            int src = gray ? i : i * 3;
            rgba[i * 4] = data[src];
            rgba[i * 4 + 1] = data[gray ? src : src + 1];
            rgba[i * 4 + 2] = data[gray ? src : src + 2];
            rgba[i * 4 + 3] = (byte) 255;
        }
        return rgba;
    }
}
