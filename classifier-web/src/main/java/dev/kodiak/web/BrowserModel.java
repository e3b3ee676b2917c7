package dev.kodiak.web;

import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.bundle.ModelOutput;
import dev.kodiak.core.preprocess.Preprocessor;
import dev.kodiak.core.topk.TopKRanker;

/**
 * A bundle ready to run in the page: its manifest, core's preprocessor and top-k decoder for it,
 * and its session in Kodiak's own forward pass or in onnxruntime-web. Checked before it is handed out (checksum, probe).
 *
 * @param manifest the bundle's manifest, read by core's ManifestReader
 * @param preprocessor core's preprocessing for the manifest's input spec
 * @param topK core's softmax and ranking for the manifest's labels
 * @param session the model, ready to run
 * @param downloadedBytes the bytes of {@code model.onnx}
 */
record BrowserModel(Manifest manifest, Preprocessor preprocessor, TopKRanker topK,
        ModelSession session, double downloadedBytes) {
    static BrowserModel of(Manifest manifest, ModelSession session, double bytes) {
        return new BrowserModel(manifest, new Preprocessor(manifest.input()),
                new TopKRanker(manifest.labels(), manifest.output() == ModelOutput.LOGITS),
                session, bytes);
    }

    /** The tensor shape for {@code n} images: {n, c, h, w}. */
    int[] shape(int n) {
        return new int[] {n, manifest.input().color().channels(), manifest.input().height(),
            manifest.input().width()};
    }
}
