package dev.kodiak.bench;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A figure divided by another measured in the same run: stable where absolute times are not.
 *
 * @param key the name in {@code budgets.properties}
 * @param title what it means, for people
 * @param numerator benchmark id, {@code Class.method[param=value,...]}
 * @param numeratorDivisor the numerator is divided by this too (8 for a batch of 8)
 * @param denominator benchmark id
 */
record Ratio(String key, String title, String numerator, double numeratorDivisor,
        String denominator) {

    /** The ratios Kodiak tracks; those with a budget are enforced by {@link Guard}. */
    static final List<Ratio> ALL = List.of(
            int8("resnet18", 1, "ResNet-18"), int8("resnet18", 8, "ResNet-18"),
            int8("efficientnet-b2", 1, "EfficientNet-B2"),
            int8("efficientnet-b2", 8, "EfficientNet-B2"),
            new Ratio("in-server-over-standalone-forward.resnet18.onnxruntime",
                    "Forward pass in the server / standalone (ResNet-18, ONNX Runtime; paired)",
                    "InServerForwardBench.measureInServerThenStandalone"
                            + "[engine=onnxruntime]:inServer", 1,
                    "InServerForwardBench.measureInServerThenStandalone"
                            + "[engine=onnxruntime]:standalone"),
            new Ratio("in-server-over-standalone-forward.resnet18.pytorch",
                    "Forward pass in the server / standalone (ResNet-18, libtorch; paired)",
                    "InServerForwardBench.measureInServerThenStandalone"
                            + "[engine=pytorch]:inServer", 1,
                    "InServerForwardBench.measureInServerThenStandalone"
                            + "[engine=pytorch]:standalone"),
            new Ratio("onnxruntime-over-libtorch-forward.resnet18",
                    "ONNX Runtime forward / libtorch forward (ResNet-18, batch 1)",
                    "ForwardBench.measureForward[batch=1,engine=onnxruntime,model=resnet18]", 1,
                    "ForwardBench.measureForward[batch=1,engine=pytorch,model=resnet18]"),
            new Ratio("onnxruntime-over-libtorch-forward.efficientnet-b2",
                    "ONNX Runtime forward / libtorch forward (EfficientNet-B2, batch 1)",
                    "ForwardBench.measureForward[batch=1,engine=onnxruntime,"
                            + "model=efficientnet-b2]", 1,
                    "ForwardBench.measureForward[batch=1,engine=pytorch,"
                            + "model=efficientnet-b2]"),
            new Ratio("core-e2e-over-forward.resnet18-224-jpeg",
                    "Core end to end / raw forward (ResNet-18, 224-px JPEG; paired)",
                    "OverheadBench.measureEndToEndThenForward:endToEnd", 1,
                    "OverheadBench.measureEndToEndThenForward:forward"),
            new Ratio("decode-preprocess-12mp-over-forward.resnet18",
                    "Decode + preprocess of a 4000x3000 JPEG / ResNet-18 forward (paired)",
                    "OverheadBench.measurePrepare12mpThenForward:prepare", 1,
                    "OverheadBench.measurePrepare12mpThenForward:forward"),
            pil("turbojpeg", "photo-4000x3000.jpg", "12mp-jpeg",
                    "Decode + preprocess of a 4000x3000 JPEG / PIL + torchvision (TurboJPEG; "
                            + "paired)"),
            pil("turbojpeg", "photo-4000x3000-exif6.jpg", "12mp-jpeg-exif6",
                    "Decode + preprocess of a 4000x3000 JPEG, EXIF orientation 6 / PIL + "
                            + "torchvision (TurboJPEG; paired)"),
            pil("java", "photo-4000x3000.jpg", "12mp-jpeg.java",
                    "Decode + preprocess of a 4000x3000 JPEG / PIL + torchvision (ImageIO; "
                            + "paired)"),
            pil("java", "photo-4000x3000-exif6.jpg", "12mp-jpeg-exif6.java",
                    "Decode + preprocess of a 4000x3000 JPEG, EXIF orientation 6 / PIL + "
                            + "torchvision (ImageIO; paired)"),
            new Ratio("core-e2e-over-forward.resnet18-224-jpeg.separate-forks",
                    "Core end to end / raw forward (ResNet-18, 224-px JPEG; separate forks)",
                    "ClassifierBench.measureSingle[image=photo-224x224.jpg,model=resnet18]", 1,
                    "ForwardBench.measureForward[batch=1,engine=onnxruntime,model=resnet18]"),
            new Ratio("core-e2e-over-forward.efficientnet-b2-224-jpeg",
                    "Core end to end / raw forward (EfficientNet-B2, 224-px JPEG)",
                    "ClassifierBench.measureSingle[image=photo-224x224.jpg,"
                            + "model=efficientnet-b2]", 1,
                    "ForwardBench.measureForward[batch=1,engine=onnxruntime,"
                            + "model=efficientnet-b2]"),
            new Ratio("core-over-djl-stock.resnet18-640-jpeg",
                    "Kodiak core / DJL's stock ImageClassificationTranslator (640x480 JPEG)",
                    "ClassifierBench.measureSingle[image=photo-640x480.jpg,model=resnet18]", 1,
                    "DjlPipelineBench.measureStockPipeline[image=photo-640x480.jpg,"
                            + "model=resnet18]"),
            new Ratio("core-over-djl-stock.resnet18-12mp-jpeg",
                    "Kodiak core / DJL's stock pipeline (4000x3000 JPEG)",
                    "ClassifierBench.measureSingle[image=photo-4000x3000.jpg,model=resnet18]", 1,
                    "DjlPipelineBench.measureStockPipeline[image=photo-4000x3000.jpg,"
                            + "model=resnet18]"),
            new Ratio("batch8-per-image-over-single.resnet18-224-jpeg",
                    "Per image in a batch of 8 / one image (ResNet-18, 224-px JPEG)",
                    "ClassifierBench.measureBatchOf8[image=photo-224x224.jpg,model=resnet18]", 8,
                    "ClassifierBench.measureSingle[image=photo-224x224.jpg,model=resnet18]"),
            new Ratio("server-16-clients-batching-on-over-off",
                    "Server, 16 clients: time per request with batching / without",
                    "ServerBench.measureRequests[batching=true,clients=16,model=resnet18]", 1,
                    "ServerBench.measureRequests[batching=false,clients=16,model=resnet18]"),
            new Ratio("server-16-clients-batching-on-over-off.fashion-mnist",
                    "Server, 16 clients, small model: per request with batching / without",
                    "ServerBench.measureRequests[batching=true,clients=16,model=fashion-mnist]", 1,
                    "ServerBench.measureRequests[batching=false,clients=16,model=fashion-mnist]"),
            new Ratio("server-1-client-over-core.resnet18-640-jpeg",
                    "Server, 1 client, per request / core end to end (HTTP overhead)",
                    "ServerBench.measureRequests[batching=true,clients=1,model=resnet18]", 1,
                    "ClassifierBench.measureSingle[image=photo-640x480.jpg,model=resnet18]"));

    /** Kodiak's decode + preprocess over PIL's, paired in {@link PilParityBench}. */
    private static Ratio pil(String decoder, String image, String key, String title) {
        String id = "PilParityBench.measureKodiakThenPil[decoder=" + decoder + ",image=" + image
                + "]";
        return new Ratio("decode-preprocess-over-pil." + key, title, id + ":kodiak", 1,
                id + ":pil");
    }

    /**
     * Computes the ratio from scores by benchmark id.
     *
     * @param scores average times, by id
     * @return the ratio, or empty when a figure is missing
     */
    Optional<Double> of(Map<String, Double> scores) {
        Double top = scores.get(numerator);
        Double bottom = scores.get(denominator);
        if (top == null || bottom == null || bottom == 0) {
            return Optional.empty();
        }
        return Optional.of(top / numeratorDivisor / bottom);
    }

    /** int8 forward over fp32 forward of one bundle, paired in {@link Int8ForwardBench}. */
    private static Ratio int8(String model, int batch, String name) {
        String id = "Int8ForwardBench.measureInt8ThenFp32[batch=" + batch + ",model=" + model
                + "]";
        return new Ratio("int8-over-fp32-forward." + model + ".batch" + batch, "int8 forward / "
                + "fp32 forward (" + name + ", batch " + batch + ", ONNX Runtime; paired)",
                id + ":int8", 1, id + ":fp32");
    }
}
