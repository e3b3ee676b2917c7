package dev.kodiak.core.bundle;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.InputSpecReader;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code kodiak.json} text into a {@link Manifest}, checking every field and reporting all
 * problems in one message. Also parses a bare input spec object (the widget's and the server's
 * view of a model). Stateless and thread-safe.
 */
public final class ManifestReader {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private ManifestReader() {
    }

    /**
     * Parses and checks manifest text.
     *
     * @param json the text of {@code kodiak.json}
     * @param file where the text came from, for messages
     * @return the manifest
     * @throws BundleException {@code UNSUPPORTED_FORMAT_VERSION} for another format version,
     *     {@code INVALID_MANIFEST} for anything else wrong, naming each field
     */
    public static Manifest read(String json, Path file) throws BundleException {
        JsonObject root = parseObject(json, file);
        Fields f = new Fields(root, "");
        int format = f.integer("kodiak_bundle");
        if (format != Manifest.FORMAT_VERSION && f.problems.isEmpty()) {
            throw new BundleException(BundleException.Problem.UNSUPPORTED_FORMAT_VERSION, file,
                    file + " declares bundle format version " + format + " but this Kodiak reads "
                    + "version " + Manifest.FORMAT_VERSION + "; re-export the model with this "
                    + "Kodiak's tools/export_bundle.py, or use the Kodiak release that wrote it");
        }
        String name = f.string("name");
        if (name != null && !Manifest.isValidName(name)) {
            f.problems.add("name '" + name + "' must be 1-64 of a-z, 0-9, '.', '_', '-', "
                    + "starting with a letter or digit (it appears in URLs)");
        }
        String version = f.string("version");
        String description = f.optionalString("description", "");
        Fields model = f.object("model");
        String modelFile = model == null ? null : model.string("file");
        String format2 = model == null ? null : model.optionalString("format", "torchscript");
        if (format2 != null && !format2.equals("torchscript")) {
            f.problems.add("model.format '" + format2 + "' is not supported; export TorchScript");
        }
        ModelOutput output = null;
        if (model != null) {
            String out = model.string("output");
            if ("logits".equals(out)) {
                output = ModelOutput.LOGITS;
            } else if ("probabilities".equals(out)) {
                output = ModelOutput.PROBABILITIES;
            } else if (out != null) {
                f.problems.add("model.output must be \"logits\" or \"probabilities\", not '"
                        + out + "'");
            }
        }
        List<String> labels = labels(f);
        Fields input = f.object("input");
        InputSpec spec = input == null ? null : spec(input);
        Provenance provenance = provenance(f);
        Map<String, String> files = files(f);
        if (modelFile != null && files != null && !files.containsKey(modelFile)) {
            f.problems.add("files has no sha256 for the model file '" + modelFile + "'");
        }
        if (!f.problems.isEmpty()) {
            throw invalid(file, f.problems);
        }
        return new Manifest(format, name, version, description, modelFile, output, labels, spec,
                provenance, files);
    }

    /**
     * Parses an input spec object such as a manifest's {@code "input"}.
     *
     * @param json the object's text
     * @return the spec
     * @throws IllegalArgumentException naming every invalid field
     */
    public static InputSpec readInputSpec(String json) {
        JsonObject object;
        try {
            object = parseObject(json, null);
        } catch (BundleException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Fields fields = new Fields(object, "input.");
        InputSpec spec = spec(fields);
        if (!fields.problems.isEmpty()) {
            throw new IllegalArgumentException("Invalid input spec: "
                    + String.join("; ", fields.problems));
        }
        return spec;
    }

    private static JsonObject parseObject(String json, Path file) throws BundleException {
        try {
            JsonReader reader = new JsonReader(new StringReader(json));
            reader.setStrictness(Strictness.STRICT);
            JsonElement element = JsonParser.parseReader(reader);
            if (!element.isJsonObject()) {
                throw new BundleException(BundleException.Problem.INVALID_MANIFEST, file,
                        where(file) + " must hold a JSON object");
            }
            return element.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new BundleException(BundleException.Problem.INVALID_MANIFEST, file,
                    where(file) + " is not valid JSON (" + e.getMessage() + "); re-export the "
                    + "bundle with tools/export_bundle.py", e);
        }
    }

    private static String where(Path file) {
        return file == null ? "the text" : file.toString();
    }

    private static BundleException invalid(Path file, List<String> problems) {
        return new BundleException(BundleException.Problem.INVALID_MANIFEST, file,
                "Invalid " + where(file) + ": " + String.join("; ", problems)
                + "; fix the manifest or re-export the bundle with tools/export_bundle.py");
    }

    private static List<String> labels(Fields f) {
        JsonArray array = f.array("labels");
        List<String> labels = new ArrayList<>();
        if (array == null) {
            return labels;
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < array.size(); i++) {
            JsonElement e = array.get(i);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()
                    || e.getAsString().isBlank()) {
                f.problems.add("labels[" + i + "] must be a non-empty string");
            } else if (!seen.add(e.getAsString())) {
                f.problems.add("labels[" + i + "] '" + e.getAsString() + "' is a duplicate");
            } else {
                labels.add(e.getAsString());
            }
        }
        if (array.isEmpty()) {
            f.problems.add("labels must not be empty");
        }
        return labels;
    }

    private static InputSpec spec(Fields in) {
        return InputSpecReader.read(new SpecFields(in.object), in.prefix, in.problems);
    }

    /** A Gson object seen through {@link InputSpecReader.Fields}. */
    private record SpecFields(JsonObject object) implements InputSpecReader.Fields {
        @Override
        public boolean has(String key) {
            return object.has(key) && !object.get(key).isJsonNull();
        }

        private JsonPrimitive primitive(String key) {
            JsonElement e = object.get(key);
            return e != null && e.isJsonPrimitive() ? e.getAsJsonPrimitive() : null;
        }

        @Override
        public String string(String key) {
            JsonPrimitive p = primitive(key);
            return p != null && p.isString() ? p.getAsString() : null;
        }

        @Override
        public double number(String key) {
            JsonPrimitive p = primitive(key);
            return p != null && p.isNumber() ? p.getAsDouble() : Double.NaN;
        }

        @Override
        public Boolean bool(String key) {
            JsonPrimitive p = primitive(key);
            return p != null && p.isBoolean() ? p.getAsBoolean() : null;
        }

        @Override
        public double[] numbers(String key) {
            JsonElement e = object.get(key);
            if (e == null || !e.isJsonArray()) {
                return null;
            }
            JsonArray array = e.getAsJsonArray();
            double[] values = new double[array.size()];
            for (int i = 0; i < values.length; i++) {
                JsonElement v = array.get(i);
                values[i] = v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()
                        ? v.getAsDouble() : Double.NaN;
            }
            return values;
        }
    }

    private static Provenance provenance(Fields f) {
        Fields p = f.object("provenance");
        if (p == null) {
            return null;
        }
        Accuracy accuracy = null;
        Map<String, String> other = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : p.object.entrySet()) {
            switch (e.getKey()) {
                case "exporter", "torch", "created", "dataset" -> {
                    // read (and checked) by optionalString below
                }
                case "accuracy" -> {
                    Fields a = p.object("accuracy");
                    if (a != null) {
                        int correct = a.integer("correct");
                        int total = a.integer("total");
                        if (correct < 0 || total < 1 || correct > total) {
                            f.problems.add("provenance.accuracy needs 0 <= correct <= total, "
                                    + "total >= 1");
                        } else {
                            accuracy = new Accuracy(a.optionalString("metric", "top-1"),
                                    a.optionalString("split", ""), correct, total);
                        }
                    }
                }
                default -> other.put(e.getKey(), e.getValue().isJsonPrimitive()
                        ? e.getValue().getAsString() : e.getValue().toString());
            }
        }
        return new Provenance(p.optionalString("exporter", ""), p.optionalString("torch", ""),
                p.optionalString("created", ""), p.optionalString("dataset", ""), accuracy,
                other);
    }

    private static Map<String, String> files(Fields f) {
        Fields files = f.object("files");
        if (files == null) {
            return null;
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : files.object.entrySet()) {
            String sha = e.getValue().isJsonPrimitive() ? e.getValue().getAsString() : "";
            String name = e.getKey();
            if (!SHA256.matcher(sha).matches()) {
                f.problems.add("files." + name + " must be a lower-case hex sha256");
            } else if (name.isEmpty() || name.startsWith("/") || name.contains("\\")
                    || List.of(name.split("/")).contains("..")) {
                f.problems.add("files." + name + " must be a relative path inside the bundle");
            } else {
                result.put(name, sha);
            }
        }
        return result;
    }

    /** Typed access to one JSON object's fields, collecting problems instead of throwing. */
    private static final class Fields {
        final JsonObject object;
        final String prefix;
        final List<String> problems;

        Fields(JsonObject object, String prefix) {
            this(object, prefix, new ArrayList<>());
        }

        Fields(JsonObject object, String prefix, List<String> problems) {
            this.object = object;
            this.prefix = prefix;
            this.problems = problems;
        }

        boolean has(String key) {
            return object.has(key) && !object.get(key).isJsonNull();
        }

        private JsonPrimitive primitive(String key, String what) {
            if (!has(key)) {
                problems.add(prefix + key + " is missing (" + what + ")");
                return null;
            }
            JsonElement e = object.get(key);
            if (!e.isJsonPrimitive()) {
                problems.add(prefix + key + " must be " + what);
                return null;
            }
            return e.getAsJsonPrimitive();
        }

        String string(String key) {
            JsonPrimitive p = primitive(key, "a string");
            if (p != null && !p.isString()) {
                problems.add(prefix + key + " must be a string");
                return null;
            }
            return p == null ? null : p.getAsString();
        }

        String optionalString(String key, String fallback) {
            return has(key) ? string(key) : fallback;
        }

        int integer(String key) {
            JsonPrimitive p = primitive(key, "a whole number");
            if (p == null) {
                return -1;
            }
            if (!p.isNumber() || p.getAsDouble() != Math.rint(p.getAsDouble())
                    || Math.abs(p.getAsDouble()) > Integer.MAX_VALUE) {
                problems.add(prefix + key + " must be a whole number, not " + p);
                return -1;
            }
            return p.getAsInt();
        }

        JsonArray array(String key) {
            if (!has(key)) {
                problems.add(prefix + key + " is missing (an array)");
                return null;
            }
            if (!object.get(key).isJsonArray()) {
                problems.add(prefix + key + " must be an array");
                return null;
            }
            return object.getAsJsonArray(key);
        }

        Fields object(String key) {
            if (!has(key)) {
                problems.add(prefix + key + " is missing (an object)");
                return null;
            }
            if (!object.get(key).isJsonObject()) {
                problems.add(prefix + key + " must be an object");
                return null;
            }
            return new Fields(object.getAsJsonObject(key), prefix + key + ".", problems);
        }
    }
}
