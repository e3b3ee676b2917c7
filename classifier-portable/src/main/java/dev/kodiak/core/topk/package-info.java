/**
 * From a model's scores to ranked labels: softmax for logits, stable top-k, an optional label
 * allow-list and an "unsure" flag when even the best guess is weak. Results are immutable values.
 */
package dev.kodiak.core.topk;
