package dev.kodiak.core.testing;

import dev.kodiak.core.fields.JsonFields;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Plain Java values (maps, lists, strings, numbers, booleans) seen through {@link JsonFields}: a
 * third parser beside Gson and the browser's, for tests of the shared readers.
 *
 * @param map the object's fields
 */
public record MapJson(Map<String, Object> map) implements JsonFields {
    @Override
    public boolean has(String key) {
        return map.get(key) != null;
    }

    @Override
    public String string(String key) {
        return map.get(key) instanceof String s ? s : null;
    }

    @Override
    public double number(String key) {
        return map.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    @Override
    public Boolean bool(String key) {
        return map.get(key) instanceof Boolean b ? b : null;
    }

    private static double[] numbers(Object value) {
        if (!(value instanceof List<?> list)) {
            return null;
        }
        return list.stream().mapToDouble(v -> v instanceof Number n ? n.doubleValue()
                : Double.NaN).toArray();
    }

    @Override
    public double[] numbers(String key) {
        return numbers(map.get(key));
    }

    @Override
    public String[] strings(String key) {
        if (!(map.get(key) instanceof List<?> list)) {
            return null;
        }
        return list.stream().map(v -> v instanceof String s ? s : null).toArray(String[]::new);
    }

    @Override
    public double[][] rows(String key) {
        if (!(map.get(key) instanceof List<?> list)) {
            return null;
        }
        return list.stream().map(MapJson::numbers).toArray(double[][]::new);
    }

    @Override
    @SuppressWarnings("unchecked")
    public JsonFields object(String key) {
        return map.get(key) instanceof Map<?, ?> m ? new MapJson((Map<String, Object>) m) : null;
    }

    @Override
    public List<String> keys() {
        return new ArrayList<>(map.keySet());
    }

    @Override
    public String text(String key) {
        Object value = map.get(key);
        return value == null ? null : value.toString();
    }
}
