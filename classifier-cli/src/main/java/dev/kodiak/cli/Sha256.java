package dev.kodiak.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The SHA-256 of a file's bytes, as lower-case hex: how the commands name a content (exact
 * duplicates, the journal's check that a file is the one that was scored, thumbnails).
 * Stateless and thread-safe.
 */
public final class Sha256 {
    private Sha256() {
    }

    /**
     * The hash of some bytes.
     *
     * @param bytes the bytes
     * @return the hash, lower-case hex
     */
    public static String of(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * The hash of a file's bytes.
     *
     * @param file a file
     * @return its hash, lower-case hex
     * @throws IOException if it cannot be read
     */
    public static String of(Path file) throws IOException {
        return of(Files.readAllBytes(file));
    }
}
