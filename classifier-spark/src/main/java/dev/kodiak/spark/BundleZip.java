package dev.kodiak.spark;

import dev.kodiak.core.bundle.Bundle;
import dev.kodiak.core.bundle.BundleException;
import dev.kodiak.core.bundle.Manifest;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A bundle as the one file the driver ships: Spark's {@code addFile} sends a local directory
 * only in local mode and refuses it on a cluster ({@code UNSUPPORTED_ADD_FILE.LOCAL_DIRECTORY}),
 * so a directory is packed into a zip, which core opens as it opens the directory.
 *
 * <p>The file is named after the bundle and its content: the sha256 of a directory's manifest
 * (which holds the sha256 of every other file), or of a zip. A session keeps the first file
 * added under a name, so two bundles of one name must not share it, nor a bundle changed in
 * place between two jobs; the same bundle shipped twice is one file. Entries are stored, not
 * compressed: model weights hardly compress, and packing must not cost more than sending.
 */
final class BundleZip {
    private BundleZip() {
    }

    /**
     * The bundle as one file named by content, in {@code folder}: a directory packed unless
     * the folder already holds it, a zip linked (or copied where it cannot be linked).
     *
     * @param bundle the bundle, a directory or a zip
     * @param folder where the file goes (created)
     * @return e.g. {@code folder/fashion-mnist-a90410786685e036.zip}
     * @throws BundleException if the bundle cannot be read
     * @throws UncheckedIOException if the file cannot be written
     */
    static Path of(Path bundle, Path folder) throws BundleException {
        try {
            Files.createDirectories(folder);
            return Files.isDirectory(bundle) ? pack(bundle, folder) : link(bundle, folder);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot put the bundle " + bundle + " as one file "
                    + "under " + folder + " to ship it with the job: " + e.getMessage(), e);
        }
    }

    private static Path pack(Path directory, Path folder) throws BundleException, IOException {
        Path manifestFile = directory.resolve(Manifest.FILE_NAME);
        byte[] manifest;
        try {
            manifest = Files.readAllBytes(manifestFile);
        } catch (IOException e) {
            throw new BundleException(BundleException.Problem.UNREADABLE, manifestFile,
                    "Cannot read " + manifestFile + ": " + e.getMessage(), e);
        }
        // named by the manifest bytes that go into the zip, read once
        Path zip = folder.resolve(directory.getFileName() + "-" + sha256(manifest)
                .substring(0, 16) + ".zip");
        if (Files.isRegularFile(zip)) {
            return zip;
        }
        Path partial = Files.createTempFile(folder, ".partial-", ".zip");
        try {
            try (OutputStream file = Files.newOutputStream(partial);
                    ZipOutputStream out = new ZipOutputStream(file)) {
                out.setLevel(Deflater.NO_COMPRESSION);
                out.putNextEntry(new ZipEntry(Manifest.FILE_NAME));
                out.write(manifest);
                out.closeEntry();
                for (Path path : files(directory)) {
                    String name = directory.relativize(path).toString().replace('\\', '/');
                    if (!name.equals(Manifest.FILE_NAME)) {
                        out.putNextEntry(new ZipEntry(name));
                        Files.copy(path, out);
                        out.closeEntry();
                    }
                }
            }
            Files.move(partial, zip, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
        return zip;
    }

    private static Path link(Path file, Path folder) throws BundleException, IOException {
        String base = file.getFileName().toString().replaceFirst("\\.zip$", "");
        Path named = folder.resolve(base + "-" + Bundle.sha256(file).substring(0, 16)
                + ".zip");
        if (Files.isRegularFile(named)) {
            return named;
        }
        try {
            Files.createLink(named, file);
        } catch (FileAlreadyExistsException e) {
            return named; // another job of this session linked it a moment ago
        } catch (IOException | UnsupportedOperationException e) {
            Path partial = Files.createTempFile(folder, ".partial-", ".zip");
            try {
                Files.copy(file, partial, StandardCopyOption.REPLACE_EXISTING);
                Files.move(partial, named, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(partial);
            }
        }
        return named;
    }

    private static List<Path> files(Path directory) throws IOException {
        try (Stream<Path> walk = Files.walk(directory)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
