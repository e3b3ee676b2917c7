package dev.kodiak.core.bundle;

import dev.kodiak.core.fields.Fields;
import dev.kodiak.core.fields.JsonFields;
import dev.kodiak.core.fields.Problems;
import dev.kodiak.core.preprocess.InputSpec;
import dev.kodiak.core.preprocess.InputSpecReader;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code kodiak.json} into a {@link Manifest}, checking every field and reporting all
 * problems in one message. The checks are written against {@link JsonFields} in pure Java, so
 * the JVM (classifier-core's {@code ManifestParser}, through Gson) and the browser widget
 * (through the browser's JSON) accept and refuse the same manifests with the same words.
 * Stateless and thread-safe.
 */
public final class ManifestReader {
    private ManifestReader() {
    }

    /**
     * Checks a parsed manifest: the one reading of the format, for every JSON parser.
     *
     * @param root the manifest object's fields
     * @return the manifest
     * @throws InvalidManifestException naming every invalid field, or the format version this
     *     Kodiak does not read
     */
    public static Manifest read(JsonFields root) throws InvalidManifestException {
        Problems problems = new Problems();
        Fields f = new Fields(root, problems);
        int format = f.whole("kodiak_bundle");
        if (format != Manifest.FORMAT_VERSION && problems.isEmpty()) {
            throw new InvalidManifestException(List.of(), format);
        }
        String name = f.string("name");
        if (name != null && !Manifest.isValidName(name)) {
            problems.add("name '" + name + "' must be 1-64 of a-z, 0-9, '.', '_', '-', "
                    + "starting with a letter or digit (it appears in URLs)");
        }
        String version = f.string("version");
        String description = f.optionalString("description", "");
        Fields model = f.object("model");
        Map<ModelFormat, String> models = new EnumMap<>(ModelFormat.class);
        ModelOutput output = null;
        if (model != null) {
            models = models(model);
            output = output(model);
        }
        List<String> runtimes = runtimes(f, models);
        List<String> labels = labels(f);
        Fields input = f.object("input");
        InputSpec spec = input == null ? null : InputSpecReader.read(input);
        Provenance provenance = provenance(f);
        Probe probe = probe(f);
        Int8Model int8 = model == null || !model.has("int8") ? null : int8(f, model, probe);
        Map<String, String> files = files(f);
        if (files != null) {
            List<String> all = new ArrayList<>(models.values());
            if (int8 != null) {
                all.add(int8.file());
            }
            for (String file : all) {
                if (!files.containsKey(file)) {
                    f.problems().add("files has no sha256 for the model file '" + file + "'");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidManifestException(problems.all(), 0);
        }
        return new Manifest(format, name, version, description, models, output, runtimes,
                labels, spec, provenance, files, java.util.Optional.ofNullable(probe),
                java.util.Optional.ofNullable(int8));
    }

    /**
     * {@code model.int8}: the int8 ONNX file, its probe (PyTorch's int8 scores on the fp32
     * probe's images, the output step and the steps allowed) and {@code provenance.int8}, what
     * the exporter measured against fp32.
     */
    private static Int8Model int8(Fields f, Fields model, Probe fp32Probe) {
        Fields m = model.object("int8");
        if (m == null) {
            return null;
        }
        int before = f.problems().count();
        String file = m.string("file");
        int opset = m.has("opset") ? m.whole("opset") : 13;
        double threshold = m.has("threshold") ? m.json().number("threshold") : 0.99;
        Fields p = m.object("probe");
        double step = p == null ? Double.NaN : p.json().number("step");
        int steps = p == null ? -1 : p.whole("steps");
        double[][] rows = p == null ? null : p.json().rows("outputs");
        float[][] outputs = rows == null ? null : new float[rows.length][];
        for (int i = 0; rows != null && i < rows.length; i++) {
            if (rows[i] == null) {
                m.problems().add("model.int8.probe.outputs[" + i + "] must be an array of numbers");
                return null;
            }
            outputs[i] = new float[rows[i].length];
            for (int j = 0; j < rows[i].length; j++) {
                if (Double.isNaN(rows[i][j])) {
                    m.problems().add("model.int8.probe.outputs[" + i + "][" + j + "] must be a "
                            + "number");
                    return null;
                }
                outputs[i][j] = (float) rows[i][j];
            }
        }
        if (p != null && rows == null) {
            m.problems().add("model.int8.probe.outputs must be an array with one array of scores "
                    + "per probe image");
        }
        if (p != null && !(step > 0)) {
            m.problems().add("model.int8.probe.step must be a number above 0 (one output step)");
        }
        if (fp32Probe == null && f.problems().count() == before) {
            m.problems().add("model.int8 needs the bundle's probe, whose noise images its probe "
                    + "uses; re-export the bundle with tools/export_bundle.py");
        } else if (outputs != null && fp32Probe != null && outputs.length != fp32Probe.size()) {
            m.problems().add("model.int8.probe.outputs has " + outputs.length + " rows but the "
                    + "probe has " + fp32Probe.size() + " images");
        }
        List<String> misses = new ArrayList<>();
        String[] names = p == null || !p.has("misses") ? new String[0]
                : p.json().strings("misses");
        for (int i = 0; names != null && i < names.length; i++) {
            misses.add(names[i] == null ? "?" : names[i]);
        }
        Int8Model.Agreement agreement = agreement(f);
        if (f.problems().count() > before || p == null) {
            return null;
        }
        try {
            return new Int8Model(file, opset, threshold, step, steps, outputs, misses,
                    java.util.Optional.ofNullable(agreement));
        } catch (IllegalArgumentException e) {
            m.problems().add("model.int8: " + e.getMessage());
            return null;
        }
    }

    /** {@code provenance.int8}: agree, total (and fp32/int8 correct when labelled). */
    private static Int8Model.Agreement agreement(Fields f) {
        Fields p = f.has("provenance") ? f.object("provenance") : null;
        Fields a = p == null || !p.has("int8") ? null : p.object("int8");
        if (a == null) {
            return null;
        }
        int agree = a.whole("agree");
        int total = a.whole("total");
        int fp32 = a.has("fp32_correct") ? a.whole("fp32_correct") : -1;
        int int8 = a.has("int8_correct") ? a.whole("int8_correct") : -1;
        if (agree < 0 || total < 1 || agree > total || fp32 > total || int8 > total) {
            f.problems().add("provenance.int8 needs 0 <= agree <= total, total >= 1, and "
                    + "fp32_correct and int8_correct at most total");
            return null;
        }
        return new Int8Model.Agreement(a.optionalString("split", ""), agree, total, fp32, int8);
    }

    /** {@code model.file} (TorchScript) and {@code model.onnx.file}: at least one. */
    private static Map<ModelFormat, String> models(Fields model) {
        Map<ModelFormat, String> models = new EnumMap<>(ModelFormat.class);
        if (model.has("file")) {
            String file = model.string("file");
            String format = model.optionalString("format", ModelFormat.TORCHSCRIPT.id());
            if (format != null && !format.equals(ModelFormat.TORCHSCRIPT.id())) {
                model.problems().add("model.format '" + format + "' is not supported; the main "
                        + "model file must be TorchScript (put an ONNX file under model.onnx)");
            } else if (file != null) {
                models.put(ModelFormat.TORCHSCRIPT, file);
            }
        }
        if (model.has("onnx")) {
            Fields onnx = model.object("onnx");
            if (onnx != null) {
                String file = onnx.string("file");
                if (onnx.has("opset")) {
                    int opset = onnx.whole("opset");
                    if (opset != -1 && opset < 7) {
                        onnx.problems().add("model.onnx.opset " + opset + " is too old; export "
                                + "with opset 14 or later");
                    }
                }
                if (file != null) {
                    models.put(ModelFormat.ONNX, file);
                }
            }
        }
        if (!model.has("file") && !model.has("onnx")) {
            model.problems().add("model has no model file: give model.file (TorchScript) and/or "
                    + "model.onnx.file (ONNX)");
        }
        return models;
    }

    private static ModelOutput output(Fields model) {
        String out = model.string("output");
        if ("logits".equals(out)) {
            return ModelOutput.LOGITS;
        }
        if ("probabilities".equals(out)) {
            return ModelOutput.PROBABILITIES;
        }
        if (out != null) {
            model.problems().add("model.output must be \"logits\" or \"probabilities\", not '"
                    + out + "'");
        }
        return null;
    }

    /** The declared runtimes, each backed by its file; all the files serve when not declared. */
    private static List<String> runtimes(Fields f, Map<ModelFormat, String> models) {
        if (!f.has("runtimes")) {
            return Manifest.runtimesOf(models.keySet());
        }
        String[] names = f.json().strings("runtimes");
        List<String> runtimes = new ArrayList<>();
        if (names == null) {
            f.problems().add("runtimes must be an array of runtime names");
            return runtimes;
        }
        for (int i = 0; i < names.length; i++) {
            ModelFormat format = names[i] == null ? null : Manifest.formatOf(names[i]);
            if (format == null) {
                f.problems().add("runtimes[" + i + "] must be one of "
                        + Manifest.runtimesOf(List.of(ModelFormat.values())) + ", not "
                        + (names[i] == null ? "a non-string" : "'" + names[i] + "'"));
            } else if (!models.containsKey(format)) {
                f.problems().add("runtimes[" + i + "] '" + names[i] + "' needs a "
                        + format.id() + " model file, which the manifest does not list");
            } else if (!runtimes.contains(names[i])) {
                runtimes.add(names[i]);
            }
        }
        return runtimes;
    }

    private static List<String> labels(Fields f) {
        List<String> labels = new ArrayList<>();
        if (!f.has("labels")) {
            f.problems().add("labels is missing (an array)");
            return labels;
        }
        String[] names = f.json().strings("labels");
        if (names == null) {
            f.problems().add("labels must be an array");
            return labels;
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < names.length; i++) {
            if (names[i] == null || names[i].isBlank()) {
                f.problems().add("labels[" + i + "] must be a non-empty string");
            } else if (!seen.add(names[i])) {
                f.problems().add("labels[" + i + "] '" + names[i] + "' is a duplicate");
            } else {
                labels.add(names[i]);
            }
        }
        if (names.length == 0) {
            f.problems().add("labels must not be empty");
        }
        return labels;
    }

    private static Provenance provenance(Fields f) {
        Fields p = f.object("provenance");
        if (p == null) {
            return null;
        }
        Accuracy accuracy = null;
        Map<String, String> other = new LinkedHashMap<>();
        for (String key : p.json().keys()) {
            switch (key) {
                case "exporter", "torch", "created", "dataset", "int8" -> {
                    // read (and checked) by optionalString below
                }
                case "accuracy" -> {
                    Fields a = p.object("accuracy");
                    if (a != null) {
                        int correct = a.whole("correct");
                        int total = a.whole("total");
                        if (correct < 0 || total < 1 || correct > total) {
                            f.problems().add("provenance.accuracy needs 0 <= correct <= total, "
                                    + "total >= 1");
                        } else {
                            accuracy = new Accuracy(a.optionalString("metric", "top-1"),
                                    a.optionalString("split", ""), correct, total);
                        }
                    }
                }
                default -> other.put(key, p.json().text(key));
            }
        }
        return new Provenance(p.optionalString("exporter", ""), p.optionalString("torch", ""),
                p.optionalString("created", ""), p.optionalString("dataset", ""), accuracy,
                other);
    }

    /**
     * The optional self-check: generator (and source size), seeds, tolerance, PyTorch's scores
     * and the spec fields it misses.
     */
    private static Probe probe(Fields f) {
        if (!f.has("probe")) {
            return null;
        }
        Fields p = f.object("probe");
        if (p == null) {
            return null;
        }
        int before = f.problems().count();
        String generator = p.string("generator");
        Probe.Source source = null;
        if (Probe.RESIZE_GENERATOR.equals(generator)) {
            Fields s = p.object("source");
            int width = s == null ? -1 : s.whole("width");
            int height = s == null ? -1 : s.whole("height");
            if (s != null && width != -1 && height != -1) {
                try {
                    source = new Probe.Source(width, height);
                } catch (IllegalArgumentException e) {
                    p.problems().add("probe.source: " + e.getMessage());
                }
            }
        } else if (generator != null && !generator.equals(Probe.GENERATOR)) {
            p.problems().add("probe.generator '" + generator + "' is unknown; this Kodiak makes "
                    + "probe images with '" + Probe.RESIZE_GENERATOR + "' or '"
                    + Probe.GENERATOR + "' (re-export the bundle, or use a newer Kodiak)");
        }
        List<String> misses = new ArrayList<>();
        if (p.has("misses")) {
            String[] names = p.json().strings("misses");
            boolean valid = names != null;
            for (int i = 0; valid && i < names.length; i++) {
                valid = names[i] != null;
                misses.add(names[i]);
            }
            if (!valid) {
                p.problems().add("probe.misses must be an array of input spec field names");
            }
        }
        double[] seeds = p.json().numbers("seeds");
        int[] ints = seeds == null ? null : new int[seeds.length];
        for (int i = 0; seeds != null && i < seeds.length; i++) {
            ints[i] = (int) seeds[i];
            if (ints[i] != seeds[i]) {
                p.problems().add("probe.seeds must be whole numbers");
                break;
            }
        }
        if (seeds == null) {
            p.problems().add("probe.seeds must be an array of whole numbers");
        }
        double tolerance = p.json().number("tolerance");
        double[][] rows = p.json().rows("outputs");
        float[][] outputs = rows == null ? null : new float[rows.length][];
        for (int i = 0; rows != null && i < rows.length; i++) {
            if (rows[i] == null) {
                p.problems().add("probe.outputs[" + i + "] must be an array of numbers");
                break;
            }
            outputs[i] = new float[rows[i].length];
            for (int j = 0; j < rows[i].length; j++) {
                if (Double.isNaN(rows[i][j])) {
                    p.problems().add("probe.outputs[" + i + "][" + j + "] must be a number");
                    break;
                }
                outputs[i][j] = (float) rows[i][j];
            }
        }
        if (rows == null) {
            p.problems().add("probe.outputs must be an array with one array of scores per seed");
        }
        if (f.problems().count() > before) {
            return null;
        }
        try {
            return new Probe(ints, source, tolerance, outputs, misses);
        } catch (IllegalArgumentException e) {
            p.problems().add("probe: " + e.getMessage());
            return null;
        }
    }

    private static Map<String, String> files(Fields f) {
        Fields files = f.object("files");
        if (files == null) {
            return null;
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (String name : files.json().keys()) {
            String sha = files.json().string(name);
            if (!isSha256(sha)) {
                f.problems().add("files." + name + " must be a lower-case hex sha256");
            } else if (name.isEmpty() || name.startsWith("/") || name.contains("\\")
                    || ("/" + name + "/").contains("/../")) { // no regex: TeaVM compiles this
                f.problems().add("files." + name + " must be a relative path inside the bundle");
            } else {
                result.put(name, sha);
            }
        }
        return result;
    }

    private static boolean isSha256(String text) {
        if (text == null || text.length() != 64) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }
}
