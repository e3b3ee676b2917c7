package dev.kodiak.core.fields;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one problem collector and its typed JSON access: every problem named under its path. */
class FieldsTest {
    /** A JSON object as plain maps, lists, strings, numbers and booleans. */
    private record MapFields(Map<String, Object> map) implements JsonFields {
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

        @Override
        public double[] numbers(String key) {
            if (!(map.get(key) instanceof List<?> list)) {
                return null;
            }
            double[] out = new double[list.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = list.get(i) instanceof Number n ? n.doubleValue() : Double.NaN;
            }
            return out;
        }

        @Override
        public String[] strings(String key) {
            return null;
        }

        @Override
        public double[][] rows(String key) {
            return null;
        }

        @Override
        @SuppressWarnings("unchecked")
        public JsonFields object(String key) {
            return map.get(key) instanceof Map<?, ?> m ? new MapFields((Map<String, Object>) m)
                    : null;
        }

        @Override
        public List<String> keys() {
            return List.copyOf(map.keySet());
        }

        @Override
        public String text(String key) {
            return String.valueOf(map.get(key));
        }
    }

    @Test
    void everyProblemOfNestedObjectsGoesToOneListUnderItsPath() {
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("width", 2.5);
        input.put("color", 3);
        input.put("mean", List.of(0.5, "x"));
        input.put("invert", "yes");
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("input", input);
        root.put("name", "pets");
        Problems problems = new Problems();
        Fields top = new Fields(new MapFields(root), problems);
        Fields nested = top.object("input");
        assertThat(top.string("name"), is("pets"));
        assertThat(nested.whole("width"), is(-1));
        assertThat(nested.whole("height"), is(-1));
        assertThat(nested.string("color"), is(nullValue()));
        assertThat(nested.floats("mean"), is(nullValue()));
        assertThat(nested.bool("invert", false), is(false));
        assertThat(nested.bool("rescale", true), is(true));
        assertThat(top.object("missing"), is(nullValue()));
        assertThat(problems.all(), contains(
                "input.width must be a whole number, not 2.5",
                "input.height is missing (a whole number)",
                "input.color must be a string",
                "input.mean[1] must be a number",
                "input.invert must be true or false",
                "missing is missing (an object)"));
        assertThat(problems.count(), is(6));
        assertThat(problems.joined(), is(String.join("; ", problems.all())));
    }

    @Test
    void aParserRefusalIsRecordedWithItsOwnWords() {
        Problems problems = new Problems().at("input.");
        Fields fields = new Fields(new MapFields(Map.of("resize", "stretch")), problems);
        Integer parsed = fields.parse("resize", text -> {
            throw new IllegalArgumentException("Invalid resize: '" + text + "'");
        });
        assertThat(parsed, is(nullValue()));
        assertThat(problems.all(), contains("input.resize: Invalid resize: 'stretch'"));
    }

    @Test
    void aCallerOwnedListAndChecksShareTheCollector() {
        List<String> mine = new ArrayList<>();
        Problems problems = new Problems(mine, "server.");
        assertThat(problems.check(true, "port", "must be a port"), is(true));
        assertThat(problems.check(false, "host", "must be an address"), is(false));
        problems.add("something about the whole file");
        assertThat(mine, contains("server.host must be an address",
                "something about the whole file"));
        assertThat(problems.isEmpty(), is(false));
        assertThat(new Problems().isEmpty(), is(true));
    }
}
