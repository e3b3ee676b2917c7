package dev.kodiak.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The machine a measurement ran on, in the words every committed result uses, so that results
 * from different suites can be compared line by line.
 */
public final class Machine {
    private Machine() {
    }

    /**
     * Describes this machine and JVM.
     *
     * @return e.g. {@code AMD EPYC; 2 cores visible to the JVM; OpenJDK 64-Bit Server VM 25.0.3
     *     (Eclipse Adoptium); Linux 6.18; 6028 MB max heap}
     */
    public static String describe() {
        return String.format(Locale.ROOT, "%s; %d cores visible to the JVM; %s %s (%s); %s %s; "
                + "%d MB max heap", cpu(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name"), System.getProperty("java.version"),
                System.getProperty("java.vendor"), System.getProperty("os.name"),
                System.getProperty("os.version"),
                ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax() >> 20);
    }

    /** The CPU's model name from {@code /proc/cpuinfo}; "unknown CPU" where there is none. */
    private static String cpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException ignored) {
            // not Linux: leave it unknown
        }
        return "unknown CPU";
    }
}
