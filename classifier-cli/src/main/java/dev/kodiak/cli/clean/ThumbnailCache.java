package dev.kodiak.cli.clean;

import dev.kodiak.cli.Sha256;
import dev.kodiak.cli.Thumbnails;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Rendered {@link Thumbnails} kept in memory by content hash, least recently used dropped first
 * once their bytes pass a budget. A file that moves keeps its thumbnail; one that changes gets a
 * new hash. Thread-safe; two threads asking for the same missing thumbnail may both render it.
 */
final class ThumbnailCache {
    private final int box;
    private final long budget;
    private final LinkedHashMap<String, byte[]> cache = new LinkedHashMap<>(256, 0.75f, true);
    private long bytes;

    /**
     * A cache of thumbnails of one size.
     *
     * @param box the square thumbnails fit in, in pixels
     * @param budget the most bytes of PNG kept
     */
    ThumbnailCache(int box, long budget) {
        this.box = box;
        this.budget = budget;
    }

    /**
     * The thumbnail of a file whose content has this hash, rendered on first use from that
     * content only: a file that changed since, or was swapped for a symbolic link, is not
     * shown.
     *
     * @param sha256 the content hash (the key)
     * @param file where that content is now
     * @return the PNG, or null when the file is not a readable image, is a link, or no longer
     *     has that content
     */
    byte[] get(String sha256, Path file) {
        synchronized (this) {
            byte[] png = cache.get(sha256);
            if (png != null) {
                return png;
            }
        }
        byte[] content = read(file);
        if (content == null || !Sha256.of(content).equals(sha256)) {
            return null;
        }
        byte[] png = Thumbnails.thumbnail(content, box);
        if (png == null) {
            return null;
        }
        synchronized (this) {
            byte[] old = cache.put(sha256, png);
            bytes += png.length - (old == null ? 0 : old.length);
            var oldest = cache.entrySet().iterator();
            while (bytes > budget && oldest.hasNext()) {
                Map.Entry<String, byte[]> e = oldest.next();
                if (e.getKey().equals(sha256)) {
                    break;
                }
                bytes -= e.getValue().length;
                oldest.remove();
            }
        }
        return png;
    }

    /** A file's bytes, not through a symbolic link; null when it cannot be read so. */
    private static byte[] read(Path file) {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }

    /** @return how many thumbnails are kept */
    synchronized int size() {
        return cache.size();
    }
}
