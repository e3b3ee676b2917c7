/**
 * The browser widget, compiled to JavaScript by TeaVM. Any {@code <div class="kodiak-classifier">}
 * becomes a classifier: choose, drop, paste or photograph an image, and see the model's top
 * labels. The photo is shrunk on the device by classifier-core's own preprocessing classes
 * (compiled by TeaVM, not copied), so only the model-sized pixels travel to the server.
 */
package dev.kodiak.web;
