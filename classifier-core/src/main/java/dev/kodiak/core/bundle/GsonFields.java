package dev.kodiak.core.bundle;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import dev.kodiak.core.fields.JsonFields;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

/** A Gson object seen through {@link JsonFields}: the JVM's side of the shared readers. */
final class GsonFields implements JsonFields {
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
            throw new IllegalArgumentException("must hold a JSON object");
        }
        return new GsonFields(element.getAsJsonObject());
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
