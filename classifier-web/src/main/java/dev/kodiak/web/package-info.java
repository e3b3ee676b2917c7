/**
 * The browser widget, compiled to JavaScript by TeaVM. Any {@code <div class="kodiak-classifier">}
 * becomes a classifier: choose, drop, paste or photograph an image, and see the model's top
 * labels. Two ES modules: {@code kodiak-widget.js} ({@link dev.kodiak.web.ClassifierWidget}: the
 * view and the reader's input, all a page loads up front) and {@code kodiak-engine.js}
 * ({@link dev.kodiak.web.WidgetEngine}, imported on first use): decoding as PIL does, and the two
 * runtimes, the model in the page through onnxruntime-web or a Kodiak server. Every step around
 * the model is classifier-core's own code compiled by TeaVM, not a copy.
 */
package dev.kodiak.web;
