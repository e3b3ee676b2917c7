package dev.kodiak.web;

import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.Pixels;
import dev.kodiak.core.preprocess.Preprocessor;
import java.util.ArrayList;
import java.util.List;
import org.teavm.jso.JSBody;
import org.teavm.jso.JSByRef;
import org.teavm.jso.JSExport;
import org.teavm.jso.JSObject;
import org.teavm.jso.dom.events.KeyboardEvent;
import org.teavm.jso.dom.html.HTMLButtonElement;
import org.teavm.jso.dom.html.HTMLDocument;
import org.teavm.jso.dom.html.HTMLElement;
import org.teavm.jso.dom.html.HTMLImageElement;
import org.teavm.jso.dom.html.HTMLInputElement;
import org.teavm.jso.dom.xml.NodeList;
import org.teavm.jso.file.Blob;
import org.teavm.jso.file.FileList;

/**
 * One classifier on a page, bound to a {@code <div class="kodiak-classifier">} with
 * {@code data-model}, optional {@code data-endpoint} (default: this page's server),
 * {@code data-top-k} (default 3), {@code data-threshold} (below this top probability the answer
 * says it is unsure), {@code data-title} and {@code data-examples} (a JSON list of
 * {@code {"url", "label"}}). After each upload, {@code data-kodiak-upload-bytes} tells how many
 * bytes went to the server. Each instance keeps its own state and DOM handles, so a page can
 * hold several.
 *
 * <p>A chosen image is decoded by the browser (EXIF orientation applied, no colour management),
 * converted and resized by classifier-core's {@link Preprocessor} to the model's input, encoded
 * as a lossless PNG of a few kilobytes, and sent to the server, whose answer is drawn as bars.
 */
public final class ClassifierWidget {
    /**
     * Larger photos are refused, as the server refuses them by default; the browser has decoded
     * them by then (it tells the size no sooner), but they are not copied, shrunk or sent.
     */
    static final long MAX_PIXELS = ImageDecoder.DEFAULT_MAX_PIXELS;
    static final String READY_MARK = "data-kodiak-ready";

    private final HTMLDocument document = HTMLDocument.current();
    private final HTMLElement root;
    private final ApiClient api;
    private final String modelName;
    private final int topK;
    private final String threshold;
    private final HTMLElement drop;
    private final HTMLImageElement preview;
    private final HTMLElement hint;
    private final HTMLElement status;
    private final HTMLElement live;
    private final HTMLElement results;
    private final HTMLElement unsure;
    private final HTMLElement error;
    private final HTMLInputElement fileInput;
    private final HTMLInputElement cameraInput;
    private final List<HTMLButtonElement> buttons = new ArrayList<>();
    private Preprocessor preprocessor;
    private List<String> labels = List.of();
    private boolean busy;
    private String previewUrl;
    private Blob lastImage;
    private String lastName;

    private ClassifierWidget(HTMLElement root) {
        this.root = root;
        root.setAttribute(READY_MARK, "loading");
        String endpoint = attribute("endpoint", "");
        this.modelName = attribute("model", "");
        this.topK = Math.max(1, parseInt(attribute("topK", "3"), 3));
        this.threshold = attribute("threshold", "");
        this.api = new ApiClient(endpoint, modelName);
        root.setInnerHTML("");
        root.getClassList().add("kodiak");

        HTMLElement head = element("div", "kodiak-head");
        HTMLElement title = element("span", "kodiak-title");
        title.setInnerText(attribute("title", "What is it?"));
        head.appendChild(title);
        HTMLElement model = element("span", "kodiak-model");
        model.setInnerText(modelName);
        head.appendChild(model);
        root.appendChild(head);

        drop = element("div", "kodiak-drop");
        drop.setAttribute("tabindex", "0");
        drop.setAttribute("role", "button");
        drop.setAttribute("aria-label", "Choose an image to classify. You can also drop or "
                + "paste one here.");
        preview = (HTMLImageElement) element("img", "kodiak-preview");
        preview.setAttribute("alt", "");
        preview.setHidden(true);
        // tiny images (model-sized examples) are shown enlarged, pixel for pixel
        preview.addEventListener("load", e -> {
            if (preview.getNaturalWidth() < 128 && preview.getNaturalHeight() < 128) {
                preview.getClassList().add("kodiak-preview-small");
            } else {
                preview.getClassList().remove("kodiak-preview-small");
            }
        });
        drop.appendChild(preview);
        hint = element("p", "kodiak-hint");
        hint.setInnerText("Drop an image here, paste one, or");
        drop.appendChild(hint);
        HTMLElement row = element("div", "kodiak-buttons");
        HTMLButtonElement choose = button("Choose a photo", "kodiak-choose");
        row.appendChild(choose);
        HTMLButtonElement camera = button("Take a photo", "kodiak-camera");
        camera.setHidden(!Browser.touchScreen());
        row.appendChild(camera);
        drop.appendChild(row);
        fileInput = fileInput(false);
        cameraInput = fileInput(true);
        drop.appendChild(fileInput);
        drop.appendChild(cameraInput);
        root.appendChild(drop);

        HTMLElement gallery = examples(attribute("examples", ""));
        if (gallery != null) {
            root.appendChild(gallery);
        }
        status = element("p", "kodiak-status");
        root.appendChild(status);
        live = element("p", "kodiak-live");
        live.setAttribute("aria-live", "polite");
        live.setAttribute("role", "status");
        root.appendChild(live);
        results = element("ol", "kodiak-results");
        root.appendChild(results);
        unsure = element("p", "kodiak-unsure");
        unsure.setHidden(true);
        root.appendChild(unsure);
        error = element("p", "kodiak-error");
        error.setAttribute("role", "alert");
        error.setHidden(true);
        root.appendChild(error);

        choose.addEventListener("click", e -> {
            e.stopPropagation();
            fileInput.click();
        });
        camera.addEventListener("click", e -> {
            e.stopPropagation();
            cameraInput.click();
        });
        drop.addEventListener("click", e -> {
            if (!busy && preprocessor != null) {
                fileInput.click();
            }
        });
        drop.onKeyDown(this::onKey);
        drop.addEventListener("dragover", e -> {
            e.preventDefault();
            drop.getClassList().add("kodiak-dragging");
        });
        drop.addEventListener("dragleave", e -> drop.getClassList().remove("kodiak-dragging"));
        drop.addEventListener("drop", e -> {
            e.preventDefault();
            drop.getClassList().remove("kodiak-dragging");
            takeFirst(Browser.droppedFiles(e));
        });
        root.addEventListener("paste", e -> {
            FileList files = Browser.pastedFiles(e);
            if (files != null && files.getLength() > 0) {
                e.preventDefault();
                takeFirst(files);
            }
        });
        fileInput.addEventListener("change", e -> takeFirst(fileInput.getFiles()));
        cameraInput.addEventListener("change", e -> takeFirst(cameraInput.getFiles()));
    }

    /**
     * Turns every {@code .kodiak-classifier} of the page into a widget (once each).
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        NodeList<? extends HTMLElement> roots = HTMLDocument.current()
                .querySelectorAll(".kodiak-classifier:not([" + READY_MARK + "])");
        for (int i = 0; i < roots.getLength(); i++) {
            new ClassifierWidget(roots.get(i)).start();
        }
    }

    /**
     * Runs a model's resize step on RGBA pixels, exactly as the widget does before uploading:
     * for tests that compare the browser's bytes with the JVM's, and for pages that want the
     * model-sized pixels themselves.
     *
     * @param rgba a Uint8Array or Uint8ClampedArray of {@code width * height * 4} values
     * @param width image width
     * @param height image height
     * @param specJson the model's input spec as JSON text (the {@code "input"} object)
     * @return the model's 8-bit pixels, interleaved (1 or 3 channels)
     */
    @JSExport
    public static JSObject resize(JSObject rgba, int width, int height, String specJson) {
        InputSpec spec = JsJson.readSpec(Browser.parse(specJson));
        Pixels pixels = Pixels.fromRgba(width, height, bytes(rgba), spec.color());
        return view(new Preprocessor(spec).resize(pixels).data());
    }

    @JSBody(params = "a", script = "return new Int8Array(a.buffer, a.byteOffset, a.length);")
    @JSByRef
    private static native byte[] bytes(JSObject a);

    @JSBody(params = "a", script = "return new Uint8Array(a.buffer, a.byteOffset, a.length);")
    private static native JSObject view(@JSByRef byte[] a);

    private void start() {
        setBusy(true);
        status.setInnerText("Loading the model…");
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
                    showError("This classifier's model description is not usable ("
                            + e.getMessage() + ").");
                    return;
                }
                root.setAttribute(READY_MARK, "ready");
                status.setInnerText("");
                setBusy(false);
            }

            @Override
            public void failure(String message, int retryAfterSeconds) {
                root.setAttribute(READY_MARK, "failed");
                status.setInnerText("");
                showError(message);
            }
        });
    }

    private void onKey(KeyboardEvent event) {
        if ((event.getKey().equals("Enter") || event.getKey().equals(" ")) && !busy
                && preprocessor != null) {
            event.preventDefault();
            fileInput.click();
        }
    }

    private void takeFirst(FileList files) {
        if (files != null && files.getLength() > 0) {
            classify(files.get(0), files.get(0).getName());
        }
    }

    private void classify(Blob image, String name) {
        if (busy || preprocessor == null) {
            return;
        }
        lastImage = image;
        lastName = name;
        setBusy(true);
        clearAnswer();
        showPreview(image, name);
        status.setInnerText("Looking…");
        double started = Browser.now();
        Browser.head(image, 32, head -> {
            if (needsServerDecode(Browser.bytes(head))) {
                send(image, started); // the browser would decode it differently from PIL
            } else {
                shrinkAndSend(image, name, started);
            }
        });
    }

    /**
     * Whether the browser's decoding of a file would differ from PIL's, so that the original
     * must be sent: 16-bit grayscale PNGs, which PIL clips at 255 while browsers scale them.
     */
    static boolean needsServerDecode(byte[] head) {
        boolean png = head.length >= 26 && (head[0] & 0xFF) == 0x89 && head[1] == 'P'
                && head[2] == 'N' && head[3] == 'G' && head[12] == 'I' && head[13] == 'H'
                && head[14] == 'D' && head[15] == 'R';
        return png && head[24] == 16 && head[25] == 0;
    }

    private void shrinkAndSend(Blob image, String name, double started) {
        Browser.decode(image, (bitmap, failure) -> {
            if (bitmap == null) {
                Browser.warn("cannot decode " + name + ": " + failure);
                done();
                showError("That file isn't an image I can read. Try a JPEG or PNG photo.");
                return;
            }
            int width = Browser.width(bitmap);
            int height = Browser.height(bitmap);
            boolean thin = Math.max(width, height)
                    > (long) ImageDecoder.MAX_ASPECT_RATIO * Math.min(width, height);
            if ((long) width * height > MAX_PIXELS || thin) {
                Browser.close(bitmap);
                done();
                showError("That image is too " + (thin ? "long and thin" : "large") + " ("
                        + width + "×" + height + " pixels). Try " + (thin ? "cropping it."
                        : "a smaller photo."));
                return;
            }
            byte[] rgba = Browser.rgba(bitmap);
            Browser.close(bitmap);
            Pixels model = preprocessor.resize(Pixels.fromRgba(width, height, rgba,
                    preprocessor.spec().color()));
            Browser.png(toRgba(model), model.width(), model.height(), png -> send(png, started));
        });
    }

    private void send(Blob upload, double started) {
        if (upload == null) {
            done();
            showError("Your browser could not prepare the image. Try another browser.");
            return;
        }
        root.setAttribute("data-kodiak-upload-bytes", Integer.toString(upload.getSize()));
        api.classify(upload, topK, threshold, new ApiClient.Listener() {
            @Override
            public void answer(JSObject json) {
                done();
                showAnswer(json, Browser.now() - started);
            }

            @Override
            public void failure(String message, int retryAfterSeconds) {
                done();
                if (retryAfterSeconds > 0) {
                    showError(message + " Trying again in " + retryAfterSeconds + " s…");
                    Browser.later(retryAfterSeconds * 1000, () -> {
                        if (!busy && lastImage != null) {
                            classify(lastImage, lastName);
                        }
                    });
                } else {
                    showError(message);
                }
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

    private void showAnswer(JSObject json, double millis) {
        JSObject predictions = Browser.get(json, "predictions");
        results.setInnerHTML("");
        String summary = "";
        for (int i = 0; i < Math.max(0, Browser.length(predictions)); i++) {
            JSObject p = Browser.at(predictions, i);
            String label = Browser.string(p, "label");
            double probability = Browser.number(p, "probability");
            String percent = percent(probability);
            HTMLElement item = element("li", "kodiak-result");
            HTMLElement name = element("span", "kodiak-label");
            name.setInnerText(label);
            HTMLElement bar = element("span", "kodiak-bar");
            bar.setAttribute("role", "presentation");
            HTMLElement fill = element("span", "kodiak-fill");
            fill.setAttribute("style", "width:" + Math.max(0.5, probability * 100) + "%");
            bar.appendChild(fill);
            HTMLElement value = element("span", "kodiak-percent");
            value.setInnerText(percent);
            item.appendChild(name);
            item.appendChild(bar);
            item.appendChild(value);
            results.appendChild(item);
            if (i == 0) {
                summary = "Top answer: " + label + ", " + percent + ".";
            }
        }
        boolean isUnsure = Browser.isTrue(Browser.get(json, "unsure"));
        if (isUnsure) {
            unsure.setInnerText("I'm not sure this is one of: " + String.join(", ", labels)
                    + ".");
            unsure.setHidden(false);
            summary = "Not sure. " + summary;
        }
        double server = Browser.number(Browser.get(json, "timings_ms"), "total");
        status.setInnerText("Answered in " + Math.round(millis) + " ms"
                + (Double.isNaN(server) ? "" : " (server " + Math.round(server) + " ms)"));
        live.setInnerText(summary);
    }

    static String percent(double probability) {
        double value = Math.round(probability * 1000) / 10.0;
        return (value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value))
                + "%";
    }

    private void showPreview(Blob image, String name) {
        if (previewUrl != null) {
            Browser.revoke(previewUrl);
        }
        previewUrl = Browser.objectUrl(image);
        preview.setSrc(previewUrl);
        preview.setAttribute("alt", name == null || name.isEmpty() ? "The chosen image"
                : "The chosen image: " + name);
        preview.setHidden(false);
        hint.setInnerText("Drop, paste or choose another image");
    }

    private void clearAnswer() {
        results.setInnerHTML("");
        unsure.setHidden(true);
        error.setHidden(true);
        live.setInnerText("");
    }

    private void showError(String message) {
        error.setInnerText(message);
        error.setHidden(false);
        live.setInnerText(message);
    }

    private void done() {
        setBusy(false);
        status.setInnerText("");
    }

    private void setBusy(boolean value) {
        busy = value;
        root.setAttribute("aria-busy", Boolean.toString(value));
        for (HTMLButtonElement b : buttons) {
            b.setDisabled(value);
        }
        fileInput.setValue("");
        cameraInput.setValue("");
    }

    private HTMLElement examples(String json) {
        if (json.isBlank()) {
            return null;
        }
        JSObject list;
        try {
            list = Browser.parse(json);
        } catch (RuntimeException e) {
            return null;
        }
        int n = Browser.length(list);
        if (n <= 0) {
            return null;
        }
        HTMLElement gallery = element("div", "kodiak-examples");
        gallery.setAttribute("role", "group");
        gallery.setAttribute("aria-label", "Example images");
        HTMLElement caption = element("p", "kodiak-examples-caption");
        caption.setInnerText("Or try an example:");
        gallery.appendChild(caption);
        for (int i = 0; i < n; i++) {
            JSObject example = Browser.at(list, i);
            String url = Browser.string(example, "url");
            String label = Browser.string(example, "label");
            if (url == null) {
                continue;
            }
            String name = label == null ? "example " + (i + 1) : label;
            HTMLButtonElement button = button("", "kodiak-example");
            button.setAttribute("aria-label", "Classify example: " + name);
            button.setAttribute("title", name);
            HTMLImageElement image = (HTMLImageElement) element("img", "kodiak-example-image");
            image.setSrc(url);
            image.setAttribute("alt", "");
            image.setAttribute("loading", "lazy");
            button.appendChild(image);
            button.addEventListener("click", e -> loadExample(url, name));
            gallery.appendChild(button);
        }
        return gallery;
    }

    private void loadExample(String url, String name) {
        if (busy || preprocessor == null) {
            return;
        }
        Browser.fetchBlob(url, (blob, httpStatus) -> {
            if (blob == null) {
                showError("Couldn't load that example (" + (httpStatus == 0 ? "no connection"
                        : "HTTP " + httpStatus) + ").");
            } else {
                classify(blob, name);
            }
        });
    }

    private HTMLButtonElement button(String text, String className) {
        HTMLButtonElement b = (HTMLButtonElement) element("button", className);
        b.setAttribute("type", "button");
        if (!text.isEmpty()) {
            b.setInnerText(text);
        }
        buttons.add(b);
        return b;
    }

    private HTMLInputElement fileInput(boolean camera) {
        HTMLInputElement input = (HTMLInputElement) element("input", "kodiak-file");
        input.setType("file");
        input.setAttribute("accept", "image/*");
        input.setAttribute("tabindex", "-1");
        input.setAttribute("aria-hidden", "true");
        if (camera) {
            input.setAttribute("capture", "environment");
        }
        input.setHidden(true);
        return input;
    }

    private HTMLElement element(String tag, String className) {
        HTMLElement e = document.createElement(tag);
        e.setClassName(className);
        return e;
    }

    private String attribute(String key, String fallback) {
        String value = Browser.data(root, key);
        return value == null ? fallback : value.trim();
    }

    private static int parseInt(String text, int fallback) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
