package dev.kodiak.bench;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.transform.CenterCrop;
import ai.djl.modality.cv.transform.Normalize;
import ai.djl.modality.cv.transform.ResizeShort;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.modality.cv.translator.ImageClassificationTranslator;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.ModelFormat;
import dev.kodiak.core.preprocess.InputSpec;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The same model through DJL's stock {@link ImageClassificationTranslator}, as a Java user would
 * write it from DJL's documentation: the in-JVM peer to beat. (DJL's resize is not PIL's, so its
 * answers differ slightly; only the speed is compared.)
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class DjlPipelineBench {
    @Param({"resnet18"})
    public String model;

    @Param({"photo-224x224.jpg", "photo-640x480.jpg", "photo-4000x3000.jpg"})
    public String image;

    private ZooModel<Image, Classifications> zoo;
    private Predictor<Image, Classifications> predictor;
    private byte[] bytes;

    /**
     * Loads the model with DJL's translator for its input spec.
     *
     * @throws Exception if the model cannot be loaded
     */
    @Setup
    public void load() throws Exception {
        Path file;
        InputSpec spec;
        List<String> labels;
        try (Bundle bundle = Bundle.open(Inputs.bundle(model))) {
            file = bundle.modelFile(ModelFormat.TORCHSCRIPT).orElseThrow();
            spec = bundle.manifest().input();
            labels = bundle.manifest().labels();
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(Engine.THREADS));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
        float[] mean = spec.mean();
        float[] std = spec.std();
        ImageClassificationTranslator translator = ImageClassificationTranslator.builder()
                .addTransform(new ResizeShort(spec.resizeShorter()))
                .addTransform(new CenterCrop(spec.width(), spec.height()))
                .addTransform(new ToTensor())
                .addTransform(new Normalize(mean, std))
                .optSynset(labels).optApplySoftmax(true).optTopK(5).build();
        zoo = Criteria.builder().setTypes(Image.class, Classifications.class)
                .optModelPath(file.getParent())
                .optModelName(file.getFileName().toString().replace(".pt", ""))
                .optEngine("PyTorch").optTranslator(translator).build().loadModel();
        predictor = zoo.newPredictor();
        bytes = Inputs.image(image);
    }

    /** Releases the model. */
    @TearDown
    public void close() {
        predictor.close();
        zoo.close();
    }

    /**
     * Bytes to top-5 the DJL way.
     *
     * @return the classifications
     * @throws Exception if prediction fails
     */
    @Benchmark
    public Classifications measureStockPipeline() throws Exception {
        Image decoded = ImageFactory.getInstance().fromInputStream(
                new ByteArrayInputStream(bytes));
        return predictor.predict(decoded);
    }
}
