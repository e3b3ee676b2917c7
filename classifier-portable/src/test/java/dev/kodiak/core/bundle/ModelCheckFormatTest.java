package dev.kodiak.core.bundle;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import java.util.Locale;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ModelCheck writes numbers as String.format's %.3g does, without String.format (TeaVM). */
class ModelCheckFormatTest {
    @ParameterizedTest
    @ValueSource(doubles = {0.25, 0.001, 1e-3 * 7.31, 123.456, 999.5, 999.4, 1000, 0.0001,
        0.00009876, 1.5e-7, 3.0e12, 12.345, 1.0, 0, -0.0421, 9.995, 0.0999996, 42})
    void writesThreeSignificantDigitsAsPercentG(double value) {
        assertThat(ModelCheck.format(value), is(String.format(Locale.ROOT, "%.3g", value)));
    }
}
