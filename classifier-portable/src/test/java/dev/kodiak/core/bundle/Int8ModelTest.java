package dev.kodiak.core.bundle;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** An int8 model read twice from the same manifest is the same value, probe scores included. */
class Int8ModelTest {
    private static Int8Model model(float[][] outputs) {
        return new Int8Model("model.int8.onnx", 13, 0.99, 0.125, 2, outputs, List.of("mean"),
                Optional.of(new Int8Model.Agreement("test", 99, 100, 90, 91)));
    }

    @Test
    void equalWhenTheProbeScoresAreEqualByValue() {
        Int8Model a = model(new float[][] {{1f, 2f}, {3f, 4f}});
        Int8Model b = model(new float[][] {{1f, 2f}, {3f, 4f}});
        assertThat(a, is(b));
        assertThat(a.hashCode(), is(b.hashCode()));
        assertThat(a, is(not(model(new float[][] {{1f, 2f}, {3f, 4.5f}}))));
    }

    @Test
    void theScoresCannotBeChangedFromOutside() {
        float[][] outputs = {{1f, 2f}};
        Int8Model a = model(outputs);
        outputs[0][0] = 9f;
        a.outputs()[0][1] = 9f;
        assertThat(a, is(model(new float[][] {{1f, 2f}})));
    }

    @Test
    void itsTextNamesTheShapeNotAnArrayAddress() {
        assertThat(model(new float[][] {{1f, 2f}}).toString(), containsString("outputs=1x2"));
    }
}
