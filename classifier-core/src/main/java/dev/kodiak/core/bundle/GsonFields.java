package dev.kodiak.core.bundle;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import dev.kodiak.core.fields.JsonFields;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Gson object seen through {@link JsonFields}: the JVM's side of the shared readers. */
final class GsonFields implements JsonFields {
    /** Where Gson says it stopped: {@code at line 1 column 9 path $.name}. */
    private static final Pattern POSITION = Pattern.compile(
            " at line (\\d+) column (\\d+)(?: path \\S*)?$");

    private final JsonObject object;

    GsonFields(JsonObject object) {
        this.object = object;
    }

    /**
     * Parses strict JSON text holding one object.
     *
     * @throws com.google.gson.JsonParseException if it is not valid JSON
     * @throws IllegalArgumentException if it is valid JSON but not an object
     */
    static GsonFields parse(String json) {
        JsonReader reader = new JsonReader(new StringReader(json));
        reader.setStrictness(Strictness.STRICT);
        JsonElement element = JsonParser.parseReader(reader);
        if (!element.isJsonObject()) {
            throw new IllegalArgumentException("must hold a JSON object ({...}), not "
                    + (element.isJsonArray() ? "an array" : element.isJsonNull() ? "nothing"
                    : element.getAsJsonPrimitive().isString() ? "a string"
                    : element.getAsJsonPrimitive().isNumber() ? "a number" : "true or false"));
        }
        return new GsonFields(element.getAsJsonObject());
    }

    /**
     * What Gson found wrong with some JSON, in a person's words rather than the parser's: what
     * is wrong, then where ({@code the text ends too soon at line 1, column 9}); no exception
     * names, token names, JSON paths or links.
     *
     * @param e Gson's complaint
     * @return the same, readable
     */
    static String complaint(JsonParseException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        String text = String.valueOf(cause.getMessage());
        int link = text.indexOf("\nSee ");
        if (link >= 0) {
            text = text.substring(0, link);
        }
        String where = "";
        Matcher at = POSITION.matcher(text);
        if (at.find()) {
            where = " at line " + at.group(1) + ", column " + at.group(2);
            text = text.substring(0, at.start());
        }
        String what;
        if (text.startsWith("End of input")) {
            what = "the text ends too soon";
        } else if (text.startsWith("Use JsonReader.setStrictness")) {
            what = "this is not strict JSON (names and strings need double quotes; true, false "
                    + "and null are written out)";
        } else if (text.equals("Expected ':'")) {
            what = "expected ':' after a name";
        } else if (text.equals("Expected name")) {
            what = "expected a name in double quotes";
        } else if (text.equals("Unterminated object")) {
            what = "expected ',' or '}' after a value";
        } else if (text.equals("Unterminated array")) {
            what = "expected ',' or ']' after a value";
        } else if (text.equals("Unterminated string")) {
            what = "a string is not closed with '\"'";
        } else {
            what = text.isEmpty() ? "it cannot be read" : Character.toLowerCase(text.charAt(0))
                    + text.substring(1);
        }
        return what + where;
    }

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

    private JsonArray array(String key) {
        JsonElement e = object.get(key);
        return e != null && e.isJsonArray() ? e.getAsJsonArray() : null;
    }

    private static double[] numbers(JsonArray array) {
        double[] values = new double[array.size()];
        for (int i = 0; i < values.length; i++) {
            JsonElement v = array.get(i);
            values[i] = v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()
                    ? v.getAsDouble() : Double.NaN;
        }
        return values;
    }

    @Override
    public double[] numbers(String key) {
        JsonArray array = array(key);
        return array == null ? null : numbers(array);
    }

    @Override
    public String[] strings(String key) {
        JsonArray array = array(key);
        if (array == null) {
            return null;
        }
        String[] values = new String[array.size()];
        for (int i = 0; i < values.length; i++) {
            JsonElement v = array.get(i);
            values[i] = v.isJsonPrimitive() && v.getAsJsonPrimitive().isString()
                    ? v.getAsString() : null;
        }
        return values;
    }

    @Override
    public double[][] rows(String key) {
        JsonArray array = array(key);
        if (array == null) {
            return null;
        }
        double[][] rows = new double[array.size()][];
        for (int i = 0; i < rows.length; i++) {
            JsonElement v = array.get(i);
            rows[i] = v.isJsonArray() ? numbers(v.getAsJsonArray()) : null;
        }
        return rows;
    }

    @Override
    public JsonFields object(String key) {
        JsonElement e = object.get(key);
        return e != null && e.isJsonObject() ? new GsonFields(e.getAsJsonObject()) : null;
    }

    @Override
    public List<String> keys() {
        return new ArrayList<>(object.keySet());
    }

    @Override
    public String text(String key) {
        JsonElement e = object.get(key);
        if (e == null) {
            return null;
        }
        return e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString()
                : e.toString();
    }
}
