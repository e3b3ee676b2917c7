/**
 * JMH suites that guard Kodiak's CPU latency: decoding, preprocessing, the raw forward pass (the
 * floor), core end to end, DJL's stock pipeline (the in-JVM peer), and the server over HTTP.
 * Figures are reported as ratios measured in the same run, because absolute times on shared
 * machines are not stable. See {@code benchmarks/README.md}.
 */
package dev.kodiak.bench;
