package dev.kodiak.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.kodiak.core.bundle.Manifest;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Writes an {@link Evaluation} as JSON (every number) and as a self-contained HTML page: the
 * confusion matrix as a heat map and the top losses as thumbnails, as fastai's
 * {@code ClassificationInterpretation} shows them.
 */
public final class EvaluationReport {
    /** What a figure shows when there is nothing to measure (a class with no images). */
    static final String NONE = "\u2014";

    private EvaluationReport() {
    }

    /**
     * The report as JSON: every number of the evaluation.
     *
     * @param e the evaluation
     * @param model the model's manifest
     * @param folder the folder evaluated
     * @param losses the top losses to list
     * @return pretty-printed JSON, ending with a newline
     */
    static String json(Evaluation e, Manifest model, Path folder, List<Evaluation.Sample> losses) {
        JsonObject root = new JsonObject();
        JsonObject identity = new JsonObject();
        identity.addProperty("name", model.name());
        identity.addProperty("version", model.version());
        identity.addProperty("sha256", model.modelSha256());
        root.add("model", identity);
        root.addProperty("folder", folder.toString());
        root.addProperty("images", e.total());
        root.addProperty("correct", e.correct());
        root.addProperty("accuracy", e.accuracy());
        JsonArray labels = new JsonArray();
        e.labels().forEach(labels::add);
        root.add("labels", labels);
        JsonArray classes = new JsonArray();
        for (int c = 0; c < e.labels().size(); c++) {
            JsonObject row = new JsonObject();
            row.addProperty("label", e.labels().get(c));
            row.addProperty("support", e.support(c));
            // a figure with nothing to measure is null, not 0
            row.add("precision", number(e.precision(c)));
            row.add("recall", number(e.recall(c)));
            row.add("f1", number(e.f1(c)));
            classes.add(row);
        }
        root.add("classes", classes);
        JsonArray matrix = new JsonArray();
        for (int[] row : e.confusion()) {
            JsonArray r = new JsonArray();
            for (int v : row) {
                r.add(v);
            }
            matrix.add(r);
        }
        root.add("confusion", matrix);
        root.addProperty("confusion_layout", "confusion[actual][predicted], in label order");
        JsonArray top = new JsonArray();
        for (Evaluation.Sample s : losses) {
            JsonObject o = new JsonObject();
            o.addProperty("path", s.path().toString());
            o.addProperty("actual", e.labels().get(s.actual()));
            o.addProperty("predicted", e.labels().get(s.predicted()));
            o.addProperty("probability", s.predictedProbability());
            o.addProperty("actual_probability", s.actualProbability());
            o.addProperty("loss", s.loss());
            top.add(o);
        }
        root.add("top_losses", top);
        JsonArray unreadable = new JsonArray();
        for (ImageFiles.Unreadable u : e.unreadable()) {
            JsonObject o = new JsonObject();
            o.addProperty("path", u.path().toString());
            o.addProperty("reason", u.reason());
            o.addProperty("message", u.message());
            unreadable.add(o);
        }
        root.add("unreadable", unreadable);
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create()
                .toJson(root) + "\n";
    }

    /**
     * The report as one self-contained HTML page.
     *
     * @param e the evaluation
     * @param model the model's manifest
     * @param folder the folder evaluated
     * @param losses the top losses to show
     * @param thumbnail the thumbnails' box, in pixels
     * @return the page
     */
    static String html(Evaluation e, Manifest model, Path folder, List<Evaluation.Sample> losses,
            int thumbnail) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>Evaluation of ").append(esc(model.name())).append("</title>")
                .append("<style>").append(CSS).append("</style></head><body>\n")
                .append("<h1>Evaluation of <code>").append(esc(model.name())).append(' ')
                .append(esc(model.version())).append("</code></h1>\n<p class=\"meta\">")
                .append(esc(folder.toString())).append(" · ")
                .append(LocalDateTime.now().format(DateTimeFormatter.ofPattern(
                        "yyyy-MM-dd HH:mm")))
                .append(" · weights sha256 <code>").append(esc(model.modelSha256()))
                .append("</code></p>\n");
        h.append("<p class=\"summary\" id=\"accuracy\">Accuracy <strong>")
                .append(pct(e.accuracy())).append("</strong> ").append(esc(counts(e)))
                .append("</p>\n");

        h.append("<h2>Confusion matrix</h2>\n<p class=\"note\">Rows: the label folder (actual). "
                + "Columns: the model's answer (predicted). Darker means a larger share of the "
                + "row.</p>\n<div class=\"scroll\"><table class=\"confusion\" id=\"confusion\">"
                + "<thead><tr><th class=\"corner\">actual \\ predicted</th>");
        for (String label : e.labels()) {
            h.append("<th scope=\"col\">").append(esc(label)).append("</th>");
        }
        h.append("</tr></thead><tbody>\n");
        for (int a = 0; a < e.labels().size(); a++) {
            h.append("<tr><th scope=\"row\">").append(esc(e.labels().get(a))).append("</th>");
            int support = e.support(a);
            for (int p = 0; p < e.labels().size(); p++) {
                int count = e.confusion()[a][p];
                double share = support == 0 ? 0 : (double) count / support;
                String color = a == p
                        ? String.format(Locale.ROOT, "hsla(140,60%%,35%%,%.3f)", share)
                        : String.format(Locale.ROOT, "hsla(0,70%%,45%%,%.3f)",
                                Math.min(1, share * 3));
                h.append("<td style=\"background:").append(color).append("\"")
                        .append(share > 0.55 ? " class=\"dark\"" : "").append(" title=\"")
                        .append(esc(e.labels().get(a))).append(" predicted as ")
                        .append(esc(e.labels().get(p))).append(": ").append(count).append("\">")
                        .append(count).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody></table></div>\n");

        h.append("<h2>Per class</h2>\n<table class=\"classes\" id=\"classes\"><thead><tr>"
                + "<th>label</th><th>images</th><th>precision</th><th>recall</th><th>F1</th>"
                + "</tr></thead><tbody>\n");
        for (int c = 0; c < e.labels().size(); c++) {
            h.append("<tr><td>").append(esc(e.labels().get(c))).append("</td><td>")
                    .append(e.support(c)).append("</td><td>").append(pct(e.precision(c)))
                    .append("</td><td>").append(pct(e.recall(c))).append("</td><td>")
                    .append(fraction(e.f1(c))).append("</td></tr>\n");
        }
        h.append("</tbody></table>\n");

        h.append("<h2>Top losses</h2>\n<p class=\"note\">The images the model was most wrong "
                + "about, worst first: often a mislabelled file, a duplicate, or a class that "
                + "needs more examples.</p>\n<div class=\"losses\" id=\"losses\">\n");
        for (Evaluation.Sample s : losses) {
            String url = Thumbnails.dataUrl(s.path(), thumbnail);
            h.append("<figure class=\"loss\">");
            if (url != null) {
                h.append("<img src=\"").append(url).append("\" alt=\"")
                        .append(esc(s.path().getFileName().toString())).append("\">");
            }
            h.append("<figcaption><span class=\"pred\">").append(esc(e.labels()
                    .get(s.predicted()))).append(" ").append(pct(s.predictedProbability()))
                    .append("</span><br>actual: ").append(esc(e.labels().get(s.actual())))
                    .append(String.format(Locale.ROOT, " · loss %.2f", s.loss()))
                    .append("<br><span class=\"file\">")
                    .append(esc(folder.relativize(s.path()).toString()))
                    .append("</span></figcaption></figure>\n");
        }
        h.append("</div>\n");
        if (!e.unreadable().isEmpty()) {
            h.append("<h2>Unreadable files</h2>\n<ul>");
            for (ImageFiles.Unreadable u : e.unreadable()) {
                h.append("<li><code>").append(esc(folder.relativize(u.path()).toString()))
                        .append("</code>: ").append(esc(u.message())).append("</li>");
            }
            h.append("</ul>\n");
        }
        return h.append("</body></html>\n").toString();
    }

    /**
     * The accuracy and what it counts, in the words every command uses for it ({@code evaluate},
     * its report, {@code clean}): the one place they are written.
     *
     * @param e an evaluation
     * @return e.g. {@code 87.5% (21 of 24 images; 2 unreadable files not counted)}
     */
    public static String accuracy(Evaluation e) {
        return pct(e.accuracy()) + " " + counts(e);
    }

    /** What an accuracy counts: {@code (21 of 24 images; 2 unreadable files not counted)}. */
    private static String counts(Evaluation e) {
        int unreadable = e.unreadable().size();
        return "(" + e.correct() + " of " + e.total() + " images" + (unreadable == 0 ? ""
                : "; " + unreadable + (unreadable == 1 ? " unreadable file" : " unreadable files")
                + " not counted") + ")";
    }

    /**
     * A fraction as a percentage with one decimal, as the report and {@code clean} print it.
     *
     * @param value a fraction, 0 to 1
     * @return e.g. {@code 87.5%}
     */
    public static String pct(double value) {
        return String.format(Locale.ROOT, "%.1f%%", value * 100);
    }

    /**
     * A figure that may have nothing to measure, as a percentage.
     *
     * @param value a fraction, or empty
     * @return e.g. {@code 87.5%}, or {@link #NONE} when empty
     */
    static String pct(OptionalDouble value) {
        return value.isPresent() ? pct(value.getAsDouble()) : NONE;
    }

    /**
     * A figure that may have nothing to measure, with three decimals.
     *
     * @param value a fraction, or empty
     * @return e.g. {@code 0.875}, or {@link #NONE} when empty
     */
    static String fraction(OptionalDouble value) {
        return value.isPresent() ? String.format(Locale.ROOT, "%.3f", value.getAsDouble())
                : NONE;
    }

    private static JsonElement number(OptionalDouble value) {
        return value.isPresent() ? new JsonPrimitive(value.getAsDouble()) : JsonNull.INSTANCE;
    }

    /**
     * @param text any text
     * @return it, safe inside HTML text and attribute values
     */
    static String esc(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** The report's look, shared by {@code clean}'s page. */
    public static final String CSS = "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;"
            + "max-width:72rem;padding:0 1rem;color:#1f2328}h1{font-size:1.5rem}"
            + "code{font-size:.85em}.meta,.note{color:#59636e;font-size:.9rem}"
            + ".summary{font-size:1.2rem}.scroll{overflow-x:auto}"
            + "table{border-collapse:collapse;margin:.5rem 0 1.5rem}"
            + "th,td{border:1px solid #d1d9e0;padding:.3rem .5rem;text-align:right}"
            + "th{background:#f6f8fa;font-weight:600}td.dark{color:#fff}"
            + ".confusion td{min-width:3rem;font-variant-numeric:tabular-nums}"
            + ".classes td:first-child,.confusion th[scope=row]{text-align:left}"
            + ".corner{font-weight:400;color:#59636e}"
            + ".losses{display:grid;grid-template-columns:repeat(auto-fill,minmax(9rem,1fr));"
            + "gap:1rem}.loss{margin:0;border:1px solid #d1d9e0;border-radius:.4rem;"
            + "padding:.5rem;text-align:center}.loss img{max-width:100%;image-rendering:"
            + "pixelated}.loss figcaption{font-size:.8rem;color:#59636e}.pred{color:#b42318;"
            + "font-weight:600;font-size:.9rem}.file{word-break:break-all}";
}
