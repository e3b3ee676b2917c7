package dev.kodiak.server.json;

import static dev.kodiak.server.json.JsonP.JSON;

import dev.kodiak.core.Classification;
import dev.kodiak.core.bundle.Accuracy;
import dev.kodiak.core.bundle.Manifest;
import dev.kodiak.core.bundle.ModelOutput;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.topk.Prediction;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.util.List;

/** Builds the API's JSON bodies. Stateless and thread-safe. */
public final class Responses {
    private Responses() {
    }

    /**
     * The error body every failure uses, as JSON text.
     *
     * @param code a stable machine-readable code, such as {@code NOT_AN_IMAGE}
     * @param message what happened and what to do, for people
     * @return {@code {"error": {"code": ..., "message": ...}}}
     */
    public static String errorText(String code, String message) {
        return JSON.createObjectBuilder().add("error", JSON.createObjectBuilder()
                .add("code", code).add("message", message)).build().toString();
    }

    /**
     * A model's short identity: name, version and the sha256 of its weights.
     *
     * @param manifest the model's manifest
     * @return the identity object
     */
    public static JsonObjectBuilder identity(Manifest manifest) {
        return JSON.createObjectBuilder().add("name", manifest.name())
                .add("version", manifest.version()).add("sha256", manifest.modelSha256());
    }

    /**
     * A model's summary in the model list.
     *
     * @param name the name it is served under
     * @param manifest the manifest of its default version, or null while none is loaded
     * @param ready whether a version serves
     * @param isDefault whether it answers {@code /api/v1/classify}
     * @param versions its versions and their states, as {@link #versions} writes them
     * @return the summary
     */
    public static JsonObject summary(String name, Manifest manifest, boolean ready,
            boolean isDefault, JsonArrayBuilder versions) {
        JsonObjectBuilder b = manifest == null ? JSON.createObjectBuilder()
                : identity(manifest).add("description", manifest.description())
                        .add("labels", manifest.labels().size());
        return b.add("name", name).add("ready", ready).add("default", isDefault)
                .add("versions", versions).add("url", "/api/v1/models/" + name).build();
    }

    /**
     * A model's versions: number, state, and why when it does not serve.
     *
     * @param states state and reason by version number
     * @return the array
     */
    public static JsonArrayBuilder versions(java.util.Map<Integer, String[]> states) {
        JsonArrayBuilder a = JSON.createArrayBuilder();
        states.forEach((v, state) -> {
            JsonObjectBuilder o = JSON.createObjectBuilder().add("version", Integer.toString(v))
                    .add("state", state[0]);
            if (!state[1].isEmpty()) {
                o.add("reason", state[1]);
            }
            a.add(o);
        });
        return a;
    }

    /**
     * A model's full description: labels, input spec, provenance.
     *
     * @param name the name it is served under
     * @param manifest its manifest
     * @param ready whether it is loaded
     * @param versions its versions and their states
     * @return the description
     */
    public static JsonObject model(String name, Manifest manifest, boolean ready,
            JsonArrayBuilder versions) {
        if (manifest == null) {
            return JSON.createObjectBuilder().add("name", name).add("ready", ready)
                    .add("versions", versions).build();
        }
        JsonArrayBuilder labels = JSON.createArrayBuilder();
        manifest.labels().forEach(labels::add);
        JsonObjectBuilder provenance = JSON.createObjectBuilder()
                .add("exporter", manifest.provenance().exporter())
                .add("torch", manifest.provenance().torchVersion())
                .add("created", manifest.provenance().created())
                .add("dataset", manifest.provenance().dataset());
        Accuracy accuracy = manifest.provenance().accuracy();
        if (accuracy != null) {
            provenance.add("accuracy", JSON.createObjectBuilder()
                    .add("metric", accuracy.metric()).add("split", accuracy.split())
                    .add("correct", accuracy.correct()).add("total", accuracy.total())
                    .add("value", accuracy.value()));
        }
        manifest.provenance().other().forEach(provenance::add);
        return identity(manifest).add("name", name).add("description", manifest.description())
                .add("ready", ready).add("versions", versions)
                .add("output", manifest.output() == ModelOutput.LOGITS ? "logits"
                        : "probabilities")
                .add("labels", labels).add("input", inputSpec(manifest.input()))
                .add("provenance", provenance).build();
    }

    /**
     * An input spec in the manifest's own format (what the browser widget reads).
     *
     * @param spec the spec
     * @return the object
     */
    public static JsonObjectBuilder inputSpec(InputSpec spec) {
        JsonObjectBuilder b = JSON.createObjectBuilder()
                .add("color", spec.color().name()).add("width", spec.width())
                .add("height", spec.height()).add("resize", spec.resize().manifestName())
                .add("interpolation", spec.interpolation().manifestName())
                .add("invert", spec.invert()).add("rescale", spec.rescale());
        b.add("resize_shorter", spec.resizeShorter());
        JsonArrayBuilder fill = JSON.createArrayBuilder();
        for (int v : spec.padFill()) {
            fill.add(v);
        }
        b.add("pad_fill", fill);
        JsonArrayBuilder mean = JSON.createArrayBuilder();
        for (float v : spec.mean()) {
            mean.add(number(v));
        }
        JsonArrayBuilder std = JSON.createArrayBuilder();
        for (float v : spec.std()) {
            std.add(number(v));
        }
        return b.add("mean", mean).add("std", std);
    }

    /**
     * A classification answer.
     *
     * @param manifest the model's manifest
     * @param servedVersion the version that answered, as the server numbers it
     * @param c the classification
     * @param width the decoded image's width
     * @param height the decoded image's height
     * @param queueWaitNanos time spent waiting for a batch
     * @param totalNanos time from the request's arrival to now
     * @return the answer
     */
    public static JsonObject classification(Manifest manifest, int servedVersion,
            Classification c, int width, int height, long queueWaitNanos, long totalNanos) {
        JsonArrayBuilder predictions = JSON.createArrayBuilder();
        for (Prediction p : c.predictions()) {
            predictions.add(JSON.createObjectBuilder().add("label", p.label())
                    .add("probability", number(p.probability())));
        }
        return JSON.createObjectBuilder()
                .add("model", identity(manifest).add("model_version",
                        Integer.toString(servedVersion)))
                .add("predictions", predictions)
                .add("unsure", c.unsure())
                .add("image", JSON.createObjectBuilder().add("width", width).add("height", height))
                .add("batch_size", c.timings().batchSize())
                .add("timings_ms", JSON.createObjectBuilder()
                        .add("queue_wait", millis(queueWaitNanos))
                        .add("decode", millis(c.timings().decodeNanos()))
                        .add("preprocess", millis(c.timings().preprocessNanos()))
                        .add("inference", millis(c.timings().inferenceNanos()))
                        .add("total", millis(totalNanos)))
                .build();
    }

    /**
     * The answer shape of the seed-002 Django endpoint: every label with its probability.
     *
     * @param labels the labels in output order
     * @param probabilities one per label
     * @return {@code {"predictions": {label: probability, ...}}}
     */
    public static JsonObject predict(List<String> labels, float[] probabilities) {
        JsonObjectBuilder map = JSON.createObjectBuilder();
        for (int i = 0; i < labels.size(); i++) {
            map.add(labels.get(i), number(probabilities[i]));
        }
        return JSON.createObjectBuilder().add("predictions", map).build();
    }

    /**
     * The shortest decimal that reads back as the same float, as a JSON number.
     *
     * @param value a float
     * @return the double JSON-P writes
     */
    public static double number(float value) {
        return Double.parseDouble(Float.toString(value));
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }
}
