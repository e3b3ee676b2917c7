package dev.kodiak.web;

import org.teavm.jso.file.Blob;
import org.teavm.jso.file.FileList;

/**
 * The ways a reader gives a widget an image: choose a file, take a photo, drop, paste, or click
 * an example (fetched from the page's own site). It also reports the reader's intent before any
 * image, so the model can start loading early: the pointer over the widget (a mouse entering it,
 * or a finger touching it) or the keyboard focus in it. Scrolling never counts: a reader who only
 * reads downloads nothing.
 */
final class ImageInput {
    /** What the widget hears. */
    interface Listener {
        /** Whether the widget can take an image now (not answering one). */
        boolean accepting();

        /** An image to classify. */
        void image(Blob image, String name);

        /** The reader is likely to use the widget soon (pointer or focus on it). */
        void interest();

        /** An example could not be fetched. */
        void failure(String message);
    }

    private final WidgetView view;
    private final Listener listener;

    /** Wires the view's elements. */
    ImageInput(WidgetView view, Listener listener) {
        this.view = view;
        this.listener = listener;
        view.chooseButton().addEventListener("click", e -> {
            e.stopPropagation();
            view.fileInput().click();
        });
        view.cameraButton().addEventListener("click", e -> {
            e.stopPropagation();
            view.cameraInput().click();
        });
        view.drop().addEventListener("click", e -> {
            if (listener.accepting()) {
                view.fileInput().click();
            }
        });
        view.drop().addEventListener("dragover", e -> {
            e.preventDefault();
            view.drop().getClassList().add("kodiak-dragging");
            listener.interest();
        });
        view.drop().addEventListener("dragleave",
                e -> view.drop().getClassList().remove("kodiak-dragging"));
        view.drop().addEventListener("drop", e -> {
            e.preventDefault();
            view.drop().getClassList().remove("kodiak-dragging");
            takeFirst(Browser.droppedFiles(e));
        });
        view.root().addEventListener("paste", e -> {
            FileList files = Browser.pastedFiles(e);
            if (files != null && files.getLength() > 0) {
                e.preventDefault();
                takeFirst(files);
            }
        });
        view.fileInput().addEventListener("change", e -> takeFirst(view.fileInput().getFiles()));
        view.cameraInput().addEventListener("change",
                e -> takeFirst(view.cameraInput().getFiles()));
        for (WidgetView.Example example : view.examples()) {
            example.button().addEventListener("click", e -> fetchExample(example));
        }
        // pointerenter: a mouse over the widget, or a finger touching it (before its click);
        // pointerdown too, for a pen or finger that was already over it
        view.root().addEventListener("pointerenter", e -> listener.interest());
        view.root().addEventListener("pointerdown", e -> listener.interest());
        view.root().addEventListener("focusin", e -> listener.interest());
    }

    private void takeFirst(FileList files) {
        if (files != null && files.getLength() > 0 && listener.accepting()) {
            listener.image(files.get(0), files.get(0).getName());
        }
    }

    private void fetchExample(WidgetView.Example example) {
        if (!listener.accepting()) {
            return;
        }
        listener.interest();
        Browser.fetchBlob(example.url(), (blob, httpStatus) -> {
            if (blob == null) {
                listener.failure("Couldn't load that example (" + (httpStatus == 0
                        ? "no connection" : "HTTP " + httpStatus) + ").");
            } else if (listener.accepting()) {
                listener.image(blob, example.name());
            }
        });
    }
}
