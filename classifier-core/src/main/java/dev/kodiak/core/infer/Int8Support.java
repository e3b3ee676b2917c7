package dev.kodiak.core.infer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether this machine's CPU has the int8 dot-product instructions that make an int8 model pay
 * (ONNX Runtime's QLinearConv and QGemm use them): on x86-64 AVX-512 VNNI, AVX-VNNI or AMX-INT8;
 * on aarch64 the dot-product extension ({@code asimddp}) or I8MM. Without them ONNX Runtime
 * multiplies int8 with AVX2, which gains less and can saturate. Read once, from
 * {@code /proc/cpuinfo} (Linux); elsewhere the answer is "unknown", which counts as no.
 *
 * <pre>{@code
 * Int8Support cpu = Int8Support.detect();
 * if (cpu.fast()) { ... }            // cpu.reason() says which flag, or why not
 * }</pre>
 *
 * @param fast true when the CPU has one of the instructions
 * @param reason what was found, for logs: the flags, or why none were read
 */
public record Int8Support(boolean fast, String reason) {
    /** The CPU flags (as {@code /proc/cpuinfo} names them) that count as fast int8. */
    public static final List<String> FLAGS = List.of("amx_int8", "avx512_vnni", "avx_vnni",
            "avx512vnni", "asimddp", "i8mm");

    private static final Int8Support DETECTED = read(Path.of("/proc/cpuinfo"));

    /**
     * Returns this machine's answer (read once per JVM).
     *
     * @return the answer
     */
    public static Int8Support detect() {
        return DETECTED;
    }

    /**
     * Reads a {@code /proc/cpuinfo} file: its {@code flags} (x86) or {@code Features} (Arm)
     * lines.
     *
     * @param cpuinfo the file
     * @return the answer
     */
    public static Int8Support read(Path cpuinfo) {
        List<String> lines;
        try {
            lines = Files.readAllLines(cpuinfo);
        } catch (IOException | RuntimeException e) {
            return new Int8Support(false, "the CPU's features are unknown (" + cpuinfo
                    + " is not readable on " + System.getProperty("os.name") + ")");
        }
        Set<String> found = new TreeSet<>();
        String model = "";
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (key.equals("model name") && model.isEmpty()) {
                model = value;
            }
            if (key.equals("flags") || key.equals("features")) {
                for (String flag : value.split("\\s+")) {
                    if (FLAGS.contains(flag)) {
                        found.add(flag);
                    }
                }
            }
        }
        String cpu = model.isEmpty() ? "the CPU" : "the CPU (" + model + ")";
        return found.isEmpty()
                ? new Int8Support(false, cpu + " has none of " + FLAGS + "; int8 would gain "
                        + "less and may saturate")
                : new Int8Support(true, cpu + " has " + String.join(", ", found));
    }
}
