/**
 * Kodiak's library facade: open a model bundle and classify images.
 *
 * <pre>{@code
 * try (Classifier classifier = Classifier.open(Path.of("models/fashion-mnist"))) {
 *     Classification c = classifier.classify(Files.readAllBytes(Path.of("shirt.png")));
 *     System.out.println(c.top().label() + " " + c.top().probability());
 * }
 * }</pre>
 *
 * <p>Sub-packages hold the parts: {@code bundle} (the portable artifact), {@code decode} (bytes to
 * pixels), {@code preprocess} (pixels to tensor, shared with the browser), {@code infer} (DJL) and
 * {@code topk} (scores to labels). No HTTP and no DOM in here.
 */
package dev.kodiak.core;
