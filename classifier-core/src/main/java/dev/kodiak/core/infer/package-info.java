/**
 * Inference through DJL's PyTorch engine, offline: the only package of classifier-core that
 * imports {@code ai.djl}. It runs a TorchScript file on float tensors and returns raw scores.
 */
package dev.kodiak.core.infer;
