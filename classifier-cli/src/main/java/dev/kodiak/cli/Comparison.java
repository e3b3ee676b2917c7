package dev.kodiak.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.kodiak.core.bundle.Precision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kodiak evaluate --precision A --compare B}: the same folder classified by the bundle's
 * model of each precision (int8 and fp32), both accuracies, and the images they disagree on.
 * Immutable.
 *
 * @param precision the precision of the main evaluation
 * @param other the precision compared with
 * @param main the main evaluation
 * @param compared the evaluation with {@code other}
 * @param disagreements the images whose top-1 differs, in path order
 */
record Comparison(Precision precision, Precision other, Evaluation main, Evaluation compared,
        List<Disagreement> disagreements) {

    /**
     * One image the two precisions label differently.
     *
     * @param path the file
     * @param actual the label folder's class
     * @param mine the main precision's top-1
     * @param theirs the compared precision's top-1
     * @param myProbability the main precision's top-1 probability
     * @param theirProbability the compared precision's top-1 probability
     */
    record Disagreement(Path path, int actual, int mine, int theirs, float myProbability,
            float theirProbability) {
    }

    /** Copies the list. */
    Comparison {
        disagreements = List.copyOf(disagreements);
    }

    /**
     * Pairs two evaluations of the same files.
     *
     * @param precision the main precision
     * @param other the compared one
     * @param main the main evaluation
     * @param compared the compared evaluation
     * @return the comparison
     */
    static Comparison of(Precision precision, Precision other, Evaluation main,
            Evaluation compared) {
        Map<Path, Evaluation.Sample> theirs = new HashMap<>();
        compared.samples().forEach(s -> theirs.put(s.path(), s));
        List<Disagreement> found = new ArrayList<>();
        for (Evaluation.Sample s : main.samples()) {
            Evaluation.Sample t = theirs.get(s.path());
            if (t != null && t.predicted() != s.predicted()) {
                found.add(new Disagreement(s.path(), s.actual(), s.predicted(), t.predicted(),
                        s.predictedProbability(), t.predictedProbability()));
            }
        }
        found.sort((a, b) -> a.path().compareTo(b.path()));
        return new Comparison(precision, other, main, compared, found);
    }

    /** @return images both classified whose top-1 is the same */
    int agree() {
        return main.total() - disagreements.size();
    }

    /** @return one line for the terminal */
    String line() {
        return "Accuracy " + precision + " " + EvaluationReport.accuracy(main) + "; " + other
                + " " + EvaluationReport.accuracy(compared) + "; same top-1 on " + agree()
                + " of " + main.total() + " images (" + EvaluationReport.pct(
                main.total() == 0 ? 0 : (double) agree() / main.total()) + ")";
    }

    /** @return the report.json entry */
    JsonObject json() {
        JsonObject o = new JsonObject();
        o.addProperty("precision", precision.id());
        o.addProperty("compared_with", other.id());
        o.addProperty("correct", main.correct());
        o.addProperty("compared_correct", compared.correct());
        o.addProperty("images", main.total());
        o.addProperty("agree", agree());
        JsonArray list = new JsonArray();
        for (Disagreement d : disagreements) {
            JsonObject row = new JsonObject();
            row.addProperty("path", d.path().toString());
            row.addProperty("actual", main.labels().get(d.actual()));
            row.addProperty(precision.id(), main.labels().get(d.mine()));
            row.addProperty(other.id(), main.labels().get(d.theirs()));
            list.add(row);
        }
        o.add("disagreements", list);
        return o;
    }

    /**
     * The report.html section: both accuracies and the disagreements as thumbnails.
     *
     * @param folder the evaluated folder, for relative names
     * @param thumbnail the thumbnails' side in pixels
     * @return HTML
     */
    String html(Path folder, int thumbnail) {
        List<String> labels = main.labels();
        StringBuilder h = new StringBuilder();
        h.append("<h2 id=\"compare\">").append(precision).append(" against ").append(other)
                .append("</h2>\n<p class=\"summary\">").append(EvaluationReport.esc(line()))
                .append("</p>\n<p class=\"note\">The images the two models label differently"
                        + ".</p>\n<div class=\"losses\" id=\"disagreements\">\n");
        for (Disagreement d : disagreements) {
            String url = Thumbnails.dataUrl(d.path(), thumbnail);
            h.append("<figure class=\"loss\">");
            if (url != null) {
                h.append("<img src=\"").append(url).append("\" alt=\"")
                        .append(EvaluationReport.esc(d.path().getFileName().toString()))
                        .append("\">");
            }
            h.append("<figcaption>").append(precision).append(": <span class=\"pred\">")
                    .append(EvaluationReport.esc(labels.get(d.mine()))).append(' ')
                    .append(EvaluationReport.pct(d.myProbability())).append("</span><br>")
                    .append(other).append(": ").append(EvaluationReport.esc(labels.get(
                            d.theirs()))).append(' ')
                    .append(EvaluationReport.pct(d.theirProbability()))
                    .append("<br>actual: ").append(EvaluationReport.esc(labels.get(d.actual())))
                    .append("<br><span class=\"file\">").append(EvaluationReport.esc(
                            folder.relativize(d.path()).toString()))
                    .append("</span></figcaption></figure>\n");
        }
        return h.append("</div>\n").toString();
    }
}
