package dev.kodiak.cli.clean;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.kodiak.cli.Duplicates;
import dev.kodiak.cli.Evaluation;
import java.util.List;
import java.util.Map;

/**
 * Writes what the session answers as the JSON the page reads: the one place that knows the
 * API's field names. Every error is {@code {"error": {"code": "...", "message": "..."}}}.
 * Stateless and thread-safe.
 */
final class CleanJson {
    private CleanJson() {
    }

    /**
     * The page's header.
     *
     * @param s the state
     * @return {@code {"folder", "model", "labels", "views", "accuracy", "scoring", ...}}
     */
    static JsonObject state(State s) {
        JsonObject o = new JsonObject();
        o.addProperty("folder", s.folder());
        JsonObject model = new JsonObject();
        model.addProperty("name", s.model());
        model.addProperty("version", s.version());
        o.add("model", model);
        JsonArray labels = new JsonArray();
        for (State.Label label : s.labels()) {
            JsonObject l = new JsonObject();
            l.addProperty("index", label.index());
            l.addProperty("name", label.name());
            if (label.key() != null) {
                l.addProperty("key", label.key());
            }
            l.addProperty("folder", label.folder());
            labels.add(l);
        }
        o.add("labels", labels);
        o.add("views", views(s.views()));
        JsonObject accuracy = new JsonObject();
        accuracy.add("before", accuracy(s.before()));
        if (s.after() != null) {
            accuracy.add("after", accuracy(s.after()));
        }
        o.add("accuracy", accuracy);
        JsonObject scoring = new JsonObject();
        State.Rescoring r = s.rescoring();
        scoring.addProperty("running", r.running());
        if (r.running()) {
            scoring.addProperty("done", r.done());
            scoring.addProperty("total", r.total());
        }
        if (r.error() != null) {
            scoring.addProperty("error", r.error());
        }
        o.add("scoring", scoring);
        o.addProperty("journal", s.journal());
        o.addProperty("quarantine", s.quarantine());
        o.addProperty("groups", s.groups());
        o.addProperty("generation", s.generation());
        return o;
    }

    private static JsonObject accuracy(Evaluation e) {
        JsonObject o = new JsonObject();
        o.addProperty("accuracy", e.accuracy());
        o.addProperty("correct", e.correct());
        o.addProperty("total", e.total());
        o.addProperty("unreadable", e.unreadable().size());
        return o;
    }

    /**
     * How many cards each view has, in tab order.
     *
     * @param counts the counts
     * @return {@code {"mislabeled": 3, ...}}
     */
    static JsonObject views(Map<View, Integer> counts) {
        JsonObject o = new JsonObject();
        for (View v : View.values()) {
            o.addProperty(v.json(), counts.get(v));
        }
        return o;
    }

    /**
     * A view's card keys.
     *
     * @param view the view
     * @param keys its cards' keys, in order
     * @return {@code {"name": ..., "keys": [...]}}
     */
    static JsonObject view(View view, List<String> keys) {
        JsonObject o = new JsonObject();
        o.addProperty("name", view.json());
        JsonArray array = new JsonArray();
        keys.forEach(array::add);
        o.add("keys", array);
        return o;
    }

    /**
     * Cards asked for by key.
     *
     * @param cards the cards
     * @return {@code {"cards": [...]}}
     */
    static JsonObject cards(List<Card> cards) {
        JsonArray array = new JsonArray();
        cards.forEach(c -> array.add(card(c)));
        JsonObject o = new JsonObject();
        o.add("cards", array);
        return o;
    }

    /**
     * One card.
     *
     * @param c the card
     * @return its fields; those that are null are left out
     */
    static JsonObject card(Card c) {
        JsonObject o = new JsonObject();
        o.addProperty("key", c.key());
        if (c.item() != null) {
            o.addProperty("item", c.item());
        }
        o.addProperty("path", c.path());
        if (c.scoredPath() != null) {
            o.addProperty("scored_path", c.scoredPath());
        }
        o.addProperty("sha256", c.sha256());
        o.addProperty("quarantined", c.quarantined());
        if (c.folder() != null) {
            o.addProperty("folder", c.folder().name());
            o.addProperty("folder_index", c.folder().index());
        }
        Card.Prediction p = c.prediction();
        if (p != null) {
            o.addProperty("predicted", p.predicted());
            o.addProperty("predicted_index", p.predictedIndex());
            o.addProperty("probability", p.probability());
            o.addProperty("scored_label", p.scoredLabel());
            o.addProperty("scored_probability", p.scoredProbability());
            o.addProperty("loss", p.loss());
        }
        if (c.pixels() != null) {
            o.addProperty("pixels", c.pixels());
        }
        if (c.bytes() != null) {
            o.addProperty("bytes", c.bytes());
        }
        if (c.unreadable() != null) {
            JsonObject u = new JsonObject();
            u.addProperty("reason", c.unreadable().reason());
            u.addProperty("message", c.unreadable().message());
            o.add("unreadable", u);
        }
        if (c.group() != null) {
            JsonObject g = new JsonObject();
            g.addProperty("id", c.group().id());
            g.addProperty("size", c.group().size());
            g.addProperty("keep", c.group().keep());
            g.addProperty("match", c.group().match());
            g.addProperty("distance", Duplicates.rounded(c.group().distance()));
            g.addProperty("keep_path", c.group().keepPath());
            o.add("group", g);
        }
        if (c.action() != null) {
            o.add("action", action(c.action()));
        }
        if (c.inEffect() != null) {
            o.addProperty("in_effect", c.inEffect());
        }
        return o;
    }

    private static JsonObject action(Journal.Entry e) {
        JsonObject a = new JsonObject();
        a.addProperty("id", e.id());
        a.addProperty("action", e.action().json());
        a.addProperty("from", e.from());
        a.addProperty("to", e.to());
        a.addProperty("time", e.time());
        if (e.label() != null) {
            a.addProperty("label", e.label());
        }
        return a;
    }

    /**
     * The answer to an action or an undo.
     *
     * @param a the answer
     * @return {@code {"card": ..., "message": ..., "views": ...}}, without the card when there
     *     is none
     */
    static JsonObject answer(Answer a) {
        JsonObject o = new JsonObject();
        if (a.card() != null) {
            o.add("card", card(a.card()));
        }
        o.addProperty("message", a.message());
        o.add("views", views(a.views()));
        return o;
    }

    /**
     * The answer to a request to re-evaluate.
     *
     * @param started false when one was already running
     * @return {@code {"started": ...}}
     */
    static JsonObject started(boolean started) {
        JsonObject o = new JsonObject();
        o.addProperty("started", started);
        return o;
    }

    /**
     * An error.
     *
     * @param code what kind ({@link Refused.Kind#code()}, or {@code internal})
     * @param message why, and what to do
     * @return {@code {"error": {"code": ..., "message": ...}}}
     */
    static JsonObject error(String code, String message) {
        JsonObject error = new JsonObject();
        error.addProperty("code", code);
        error.addProperty("message", message);
        JsonObject o = new JsonObject();
        o.add("error", error);
        return o;
    }
}
