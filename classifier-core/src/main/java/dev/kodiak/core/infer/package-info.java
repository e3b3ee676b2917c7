/**
 * Inference through DJL: the only package of classifier-core that imports {@code ai.djl} (and
 * ONNX Runtime's session options). One class per runtime behind {@link
 * dev.kodiak.core.infer.InferenceModel}: {@link dev.kodiak.core.infer.OnnxModel} runs a bundle's
 * ONNX file with ONNX Runtime, {@link dev.kodiak.core.infer.TorchModel} its TorchScript file with
 * libtorch; both turn float tensors into raw scores.
 */
package dev.kodiak.core.infer;
