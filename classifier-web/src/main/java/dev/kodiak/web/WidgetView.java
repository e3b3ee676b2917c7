package dev.kodiak.web;

import java.util.ArrayList;
import java.util.List;
import org.teavm.jso.JSObject;
import org.teavm.jso.dom.html.HTMLButtonElement;
import org.teavm.jso.dom.html.HTMLDocument;
import org.teavm.jso.dom.html.HTMLElement;
import org.teavm.jso.dom.html.HTMLImageElement;
import org.teavm.jso.dom.html.HTMLInputElement;
import org.teavm.jso.file.Blob;

/**
 * A widget's DOM and how it shows things: the drop zone and buttons, the example gallery, a
 * progress bar while the model loads, the answer as bars, the "not sure" note, the status line,
 * plain-words errors, and a polite live region for screen readers (the download's size when it
 * starts, then the answer). While the reader waits for an answer, the progress line and then the
 * answer are scrolled into view, the least that shows them. It builds the elements inside the
 * widget's own root and keeps their handles, so a page can hold several widgets.
 */
final class WidgetView {
    /** An example image of the gallery. */
    record Example(HTMLButtonElement button, String url, String name) {
    }

    private final HTMLDocument document = HTMLDocument.current();
    private final HTMLElement root;
    private final HTMLElement model;
    private final HTMLElement drop;
    private final HTMLImageElement preview;
    private final HTMLElement hint;
    private final HTMLButtonElement choose;
    private final HTMLButtonElement camera;
    private final HTMLInputElement fileInput;
    private final HTMLInputElement cameraInput;
    private final List<Example> examples = new ArrayList<>();
    private final HTMLElement progress;
    private final HTMLElement progressBar;
    private final HTMLElement progressText;
    private final HTMLElement status;
    private final HTMLElement live;
    private final HTMLElement results;
    private final HTMLElement unsure;
    private final HTMLElement error;
    private final List<HTMLButtonElement> buttons = new ArrayList<>();
    private String previewUrl;
    private boolean announcedTotal;
    /** The reader chose an image and waits: what comes next is scrolled into view. */
    private boolean waiting;

    /** Builds the widget inside {@code root}, replacing what it held. */
    WidgetView(HTMLElement root, WidgetSettings settings) {
        this.root = root;
        root.setInnerHTML("");
        root.getClassList().add("kodiak");

        HTMLElement head = element("div", "kodiak-head");
        HTMLElement title = element("span", "kodiak-title");
        title.setInnerText(settings.title());
        head.appendChild(title);
        model = element("span", "kodiak-model");
        model.setInnerText(settings.model().isEmpty() ? folderName(settings.bundle())
                : settings.model());
        head.appendChild(model);
        root.appendChild(head);

        // a plain drop zone: its buttons are the controls (a control around controls is
        // announced as one, and the keyboard reaches the buttons anyway)
        drop = element("div", "kodiak-drop");
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
        choose = button("Choose a photo", "kodiak-choose");
        row.appendChild(choose);
        camera = button("Take a photo", "kodiak-camera");
        camera.setHidden(!Browser.touchScreen());
        row.appendChild(camera);
        drop.appendChild(row);
        fileInput = fileInput(false);
        cameraInput = fileInput(true);
        drop.appendChild(fileInput);
        drop.appendChild(cameraInput);
        root.appendChild(drop);

        HTMLElement gallery = gallery(settings.examples());
        if (gallery != null) {
            root.appendChild(gallery);
        }
        progress = element("div", "kodiak-progress");
        progress.setHidden(true);
        progressBar = element("progress", "kodiak-progress-bar");
        progressBar.setAttribute("max", "1");
        progressBar.setAttribute("aria-label", "Loading the model");
        progress.appendChild(progressBar);
        progressText = element("span", "kodiak-progress-text");
        progress.appendChild(progressText);
        root.appendChild(progress);
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
    }

    private static String folderName(String url) {
        String trimmed = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return trimmed.substring(trimmed.lastIndexOf('/') + 1);
    }

    HTMLElement root() {
        return root;
    }

    HTMLElement drop() {
        return drop;
    }

    HTMLButtonElement chooseButton() {
        return choose;
    }

    HTMLButtonElement cameraButton() {
        return camera;
    }

    HTMLInputElement fileInput() {
        return fileInput;
    }

    HTMLInputElement cameraInput() {
        return cameraInput;
    }

    List<Example> examples() {
        return examples;
    }

    /** Names the model in the heading. */
    void showModelName(String name) {
        if (name != null && !name.isEmpty()) {
            model.setInnerText(name);
        }
    }

    /**
     * Shows how much of the model has arrived.
     *
     * @param loaded bytes so far
     * @param total bytes in all, or -1 when not known (the bar then moves without a end)
     */
    void showProgress(double loaded, double total) {
        boolean appearing = progress.isHidden();
        progress.setHidden(false);
        String text = "Loading the model: " + megabytes(loaded);
        if (total > 0) {
            progressBar.setAttribute("value", Browser.fixed(Math.min(1, loaded / total), 3));
            text = "Loading the model: " + Browser.fixed(loaded / 1_000_000, 1) + " of "
                    + megabytes(total);
            if (!announcedTotal) {
                announcedTotal = true;
                live.setInnerText("Loading the model: " + megabytes(total)
                        + ", once; your browser keeps it.");
            }
        } else {
            progressBar.removeAttribute("value");
        }
        progressText.setInnerText(text + " (once; your browser keeps it)");
        if (appearing && waiting) {
            Browser.reveal(progress);
        }
    }

    /** Hides the progress bar. */
    void hideProgress() {
        progress.setHidden(true);
        announcedTotal = false;
    }

    static String megabytes(double bytes) {
        return Browser.fixed(bytes / 1_000_000, 1) + " MB";
    }

    /** Shows the chosen image. */
    void showPreview(Blob image, String name) {
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

    /** Sets the status line (empty to clear it); in view while the reader waits. */
    void showStatus(String text) {
        status.setInnerText(text);
        if (waiting && !text.isEmpty()) {
            Browser.reveal(progress.isHidden() ? status : progress);
        }
    }

    /** Removes the previous answer and error. */
    void clearAnswer() {
        results.setInnerHTML("");
        unsure.setHidden(true);
        error.setHidden(true);
        live.setInnerText("");
    }

    /**
     * Draws an answer as bars and announces the top label.
     *
     * @param answer the answer, in the API's JSON shape (the {@code kodiak:answer} detail)
     * @param labels every label of the model, for the "not sure" note
     */
    void showAnswer(JSObject answer, List<String> labels) {
        results.setInnerHTML("");
        String summary = "";
        JSObject predictions = Browser.get(answer, "predictions");
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
            fill.setAttribute("style", "width:" + Browser.fixed(Math.max(0.5, probability * 100),
                    2) + "%");
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
        if (Browser.isTrue(Browser.get(answer, "unsure"))) {
            unsure.setInnerText("I'm not sure this is one of: " + String.join(", ", labels)
                    + ".");
            unsure.setHidden(false);
            summary = "Not sure. " + summary;
        }
        JSObject timings = Browser.get(answer, "timings_ms");
        boolean browser = "browser".equals(Browser.string(answer, "runtime"));
        double model = browser ? Browser.number(timings, "preprocess")
                + Browser.number(timings, "inference") : Browser.number(timings, "total");
        double elapsed = Browser.number(answer, "elapsed_ms");
        status.setInnerText("Answered in " + Math.round(elapsed) + " ms"
                + (Double.isNaN(model) ? "" : " (" + (browser ? "on this device" : "server")
                + " " + Math.round(model) + " ms)"));
        live.setInnerText(summary);
        Browser.reveal(unsure.isHidden() ? results : unsure);
    }

    /** 97.5% or 98%: one decimal, none when it is zero. */
    static String percent(double probability) {
        double tenths = Math.round(probability * 1000);
        return Browser.fixed(tenths / 10, tenths % 10 == 0 ? 0 : 1) + "%";
    }

    /** Shows an error in plain words, and announces it. */
    void showError(String message) {
        error.setInnerText(message);
        error.setHidden(false);
        live.setInnerText(message);
        if (waiting) {
            Browser.reveal(error);
        }
    }

    /** Disables the buttons while an image is being answered. */
    void setBusy(boolean value) {
        waiting = value;
        // on the answer's list, not the whole widget: a busy region holds back its live
        // announcements, and the download's size is announced while the reader waits
        results.setAttribute("aria-busy", Boolean.toString(value));
        for (HTMLButtonElement b : buttons) {
            b.setDisabled(value);
        }
        fileInput.setValue("");
        cameraInput.setValue("");
    }

    private HTMLElement gallery(String json) {
        if (json.isBlank()) {
            return null;
        }
        JSObject list;
        try {
            list = Browser.parse(json);
        } catch (RuntimeException e) {
            Browser.warn("data-examples is not a JSON list; no gallery");
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
            JSObject item = Browser.at(list, i);
            String url = Browser.string(item, "url");
            String label = Browser.string(item, "label");
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
            gallery.appendChild(button);
            examples.add(new Example(button, url, name));
        }
        return gallery;
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

    private HTMLInputElement fileInput(boolean forCamera) {
        HTMLInputElement input = (HTMLInputElement) element("input", "kodiak-file");
        input.setType("file");
        input.setAttribute("accept", "image/*");
        input.setAttribute("tabindex", "-1");
        input.setAttribute("aria-hidden", "true");
        if (forCamera) {
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
}
