package dev.kodiak.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import dev.kodiak.core.decode.DecodeException;
import dev.kodiak.core.decode.ImageDecoder;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.preprocess.Pixels;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Walking image folders and moving files to a quarantine folder. Never deletes anything. */
public final class ImageFiles {
    private ImageFiles() {
    }

    /**
     * Checks that a folder exists and is a folder.
     *
     * @param folder the folder given on the command line
     * @return it, absolute and normalized
     * @throws CommandException {@link Exit#USAGE} otherwise
     */
    public static Path folder(Path folder) {
        Path path = folder.toAbsolutePath().normalize();
        if (!Files.exists(path)) {
            throw new CommandException(Exit.USAGE, "No folder at " + path);
        }
        if (!Files.isDirectory(path)) {
            throw new CommandException(Exit.USAGE, path + " is a file; give a folder of images");
        }
        return path;
    }

    /**
     * Every regular file under a folder, sorted by path, skipping hidden files and folders and
     * the given folder to skip (a quarantine folder inside the one being checked).
     */
    static List<Path> list(Path folder, Path skip) {
        List<Path> files = new ArrayList<>();
        try {
            Files.walkFileTree(folder, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    boolean hidden = !dir.equals(folder)
                            && dir.getFileName().toString().startsWith(".");
                    return hidden || dir.equals(skip) ? FileVisitResult.SKIP_SUBTREE
                            : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && !file.getFileName().toString().startsWith(".")) {
                        files.add(file);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        files.sort(null);
        return files;
    }

    /**
     * Moves a file into the quarantine folder, keeping its path relative to the scanned folder;
     * an existing file there is never overwritten (a numbered name is chosen).
     *
     * @return where the file went
     */
    static Path quarantine(Path file, Path folder, Path quarantine) throws IOException {
        Path relative = folder.relativize(file);
        Path target = quarantine.resolve(relative);
        Files.createDirectories(target.getParent());
        // a plain move: never replaces a file that appeared meanwhile, and works across disks
        while (true) {
            try {
                return Files.move(file, unused(target));
            } catch (FileAlreadyExistsException e) {
                // taken between the look and the move: look again
            }
        }
    }

    /** The longest file name, in bytes, that Linux, macOS and Windows file systems take. */
    static final int MAX_NAME_BYTES = 255;

    /**
     * A name no file has yet: {@code target} itself, else the first free of
     * {@code name.1.ext}, {@code name.2.ext}... When a numbered name would be longer than a
     * file name may be (255 bytes), {@code name} is shortened to fit, so that a file whose
     * name is already as long as it can be still moves.
     *
     * @param target the wanted path
     * @return a path where nothing exists (at the time of the call)
     */
    public static Path unused(Path target) {
        if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return target;
        }
        String name = target.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String extension = dot > 0 ? name.substring(dot) : "";
        for (int n = 1; ; n++) {
            String suffix = "." + n + extension;
            Path candidate = target.resolveSibling(fit(stem, MAX_NAME_BYTES - utf8(suffix))
                    + suffix);
            if (!Files.exists(candidate, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return candidate;
            }
        }
    }

    /** The longest start of {@code text}, whole characters only, of at most {@code bytes}. */
    static String fit(String text, int bytes) {
        if (utf8(text) <= bytes) {
            return text;
        }
        int end = 0;
        int used = 0;
        while (end < text.length()) {
            int next = text.offsetByCodePoints(end, 1);
            int size = utf8(text.substring(end, next));
            if (used + size > bytes) {
                break;
            }
            used += size;
            end = next;
        }
        return text.substring(0, end);
    }

    private static int utf8(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    /**
     * A file that is not a readable image.
     *
     * @param path the file
     * @param reason the decoder's reason code
     * @param message what is wrong with it
     */
    public record Unreadable(Path path, String reason, String message) {
        /**
         * The unreadable file a decoder refused.
         *
         * @param path the file
         * @param e the decoder's refusal
         * @return the finding
         */
        public static Unreadable of(Path path, DecodeException e) {
            return new Unreadable(path, e.reason().name(), e.getMessage());
        }
    }

    /** What a command does with each readable image; called from several threads at once. */
    interface ImageVisitor {
        void visit(Path file, byte[] bytes, Pixels pixels) throws Exception;
    }

    /**
     * Reads and decodes every file, as the server would, on every core, counting on the
     * progress bar; the visitor sees each readable image, in no particular order.
     *
     * @return the files that are not readable images, in the order given
     */
    static List<Unreadable> decodeEach(List<Path> files, ImageDecoder decoder, Progress progress,
            ImageVisitor visitor) throws Exception {
        Unreadable[] unreadable = new Unreadable[files.size()];
        ExecutorService workers = Executors.newFixedThreadPool(
                Math.max(1, Runtime.getRuntime().availableProcessors()));
        try {
            List<Future<?>> done = new ArrayList<>(files.size());
            for (int i = 0; i < files.size(); i++) {
                int index = i;
                done.add(workers.submit(() -> {
                    Path file = files.get(index);
                    byte[] bytes = Files.readAllBytes(file);
                    Pixels pixels = null;
                    try {
                        pixels = decoder.decode(bytes, ColorMode.RGB);
                    } catch (DecodeException e) {
                        unreadable[index] = Unreadable.of(file, e);
                    }
                    if (pixels != null) {
                        visitor.visit(file, bytes, pixels);
                    }
                    progress.advance(1);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception cause ? cause : e;
                }
            }
        } finally {
            workers.shutdownNow();
            progress.finish();
        }
        List<Unreadable> found = new ArrayList<>();
        for (Unreadable u : unreadable) {
            if (u != null) {
                found.add(u);
            }
        }
        return found;
    }
}
