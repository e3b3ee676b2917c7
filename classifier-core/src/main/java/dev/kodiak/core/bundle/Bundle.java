package dev.kodiak.core.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A model bundle whose manifest has been read and whose files all match their checksums.
 *
 * <pre>{@code
 * try (Bundle bundle = Bundle.open(Path.of("models/fashion-mnist"))) {
 *     System.out.println(bundle.manifest().labels());
 * }
 * }</pre>
 *
 * <p>A {@code .zip} bundle is unpacked into a private temporary directory that {@link #close()}
 * deletes. The model itself is not loaded here; {@code Classifier} does that and checks the
 * labels and input spec against it. Immutable and thread-safe; close it once.
 */
public final class Bundle implements AutoCloseable {
    /** The largest manifest read, to keep a hostile file from filling memory. */
    static final long MAX_MANIFEST_BYTES = 1 << 20;
    /** The most a zip bundle may unpack to. */
    static final long MAX_UNPACKED_BYTES = 4L << 30;
    /** The most entries a zip bundle may hold. */
    static final int MAX_ZIP_ENTRIES = 1000;

    private final Path source;
    private final Path directory;
    private final Manifest manifest;
    private final Path unpacked;

    private Bundle(Path source, Path directory, Manifest manifest, Path unpacked) {
        this.source = source;
        this.directory = directory;
        this.manifest = manifest;
        this.unpacked = unpacked;
    }

    /**
     * Opens a bundle directory or {@code .zip}, reads its manifest and checks every file's sha256.
     *
     * @param path a directory holding {@code kodiak.json}, or a zip of such a directory
     * @return the bundle
     * @throws BundleException {@code MISSING_FILE}, {@code CHECKSUM_MISMATCH},
     *     {@code UNSUPPORTED_FORMAT_VERSION}, {@code INVALID_MANIFEST} or {@code UNREADABLE},
     *     naming the file and what to do
     */
    public static Bundle open(Path path) throws BundleException {
        Path source = path.toAbsolutePath().normalize();
        if (!Files.exists(source)) {
            throw new BundleException(BundleException.Problem.MISSING_FILE, source,
                    "No model bundle at " + source + "; pass a directory holding "
                    + Manifest.FILE_NAME + " (or a .zip of one), for example models/fashion-mnist");
        }
        Path unpacked = null;
        Path directory = source;
        try {
            if (Files.isRegularFile(source)) {
                unpacked = unzip(source);
                directory = bundleRoot(unpacked, source);
            }
            Manifest manifest = readManifest(directory);
            verifyFiles(directory, manifest);
            return new Bundle(source, directory, manifest, unpacked);
        } catch (BundleException | RuntimeException e) {
            deleteTree(unpacked);
            throw e;
        }
    }

    private static Manifest readManifest(Path directory) throws BundleException {
        Path file = directory.resolve(Manifest.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new BundleException(BundleException.Problem.MISSING_FILE, file,
                    "The bundle has no " + Manifest.FILE_NAME + " at " + file + "; a bundle is "
                    + "made by tools/export_bundle.py, which writes it next to the model");
        }
        try {
            if (Files.size(file) > MAX_MANIFEST_BYTES) {
                throw new BundleException(BundleException.Problem.INVALID_MANIFEST, file,
                        file + " is larger than " + MAX_MANIFEST_BYTES + " bytes; it is not a "
                        + "Kodiak manifest");
            }
            String text = StandardCharsets.UTF_8.newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
            return ManifestParser.parse(text, file);
        } catch (CharacterCodingException e) {
            throw new BundleException(BundleException.Problem.INVALID_MANIFEST, file,
                    file + " is not UTF-8 text; re-export the bundle", e);
        } catch (IOException e) {
            throw new BundleException(BundleException.Problem.UNREADABLE, file,
                    "Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static void verifyFiles(Path directory, Manifest manifest) throws BundleException {
        for (Map.Entry<String, String> entry : manifest.files().entrySet()) {
            Path file = directory.resolve(entry.getKey()).normalize();
            if (!file.startsWith(directory) || !Files.isRegularFile(file)) {
                throw new BundleException(BundleException.Problem.MISSING_FILE, file,
                        "The bundle's manifest lists " + entry.getKey() + " but " + file
                        + " does not exist; copy the whole bundle directory, not only "
                        + Manifest.FILE_NAME);
            }
            String actual = sha256(file);
            if (!actual.equals(entry.getValue())) {
                throw new BundleException(BundleException.Problem.CHECKSUM_MISMATCH, file,
                        file + " has sha256 " + actual + " but " + Manifest.FILE_NAME
                        + " expects " + entry.getValue() + "; the file is damaged or was "
                        + "replaced: copy the bundle again, or re-export it so the manifest "
                        + "matches the new model");
            }
        }
    }

    /**
     * Computes a file's sha256, as manifests record them.
     *
     * @param file the file
     * @return lower-case hex
     * @throws BundleException {@code UNREADABLE} if the file cannot be read
     */
    public static String sha256(Path file) throws BundleException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new BundleException(BundleException.Problem.UNREADABLE, file,
                    "Cannot read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static Path unzip(Path zip) throws BundleException {
        Path target;
        try {
            target = Files.createTempDirectory("kodiak-bundle-");
        } catch (IOException e) {
            throw new BundleException(BundleException.Problem.UNREADABLE, zip,
                    "Cannot create a temporary directory to unpack " + zip + ": "
                    + e.getMessage(), e);
        }
        long total = 0;
        int entries = 0;
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            byte[] buffer = new byte[1 << 16];
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                if (++entries > MAX_ZIP_ENTRIES) {
                    throw new BundleException(BundleException.Problem.UNREADABLE, zip,
                            zip + " holds more than " + MAX_ZIP_ENTRIES + " entries; it is not "
                            + "a model bundle");
                }
                Path out = target.resolve(entry.getName()).normalize();
                if (!out.startsWith(target) || out.equals(target)) {
                    throw new BundleException(BundleException.Problem.UNREADABLE, zip,
                            zip + " has an entry '" + entry.getName() + "' that points outside "
                            + "the bundle; refusing to unpack it");
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                    continue;
                }
                Files.createDirectories(out.getParent());
                try (OutputStream os = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW)) {
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        total += n;
                        if (total > MAX_UNPACKED_BYTES) {
                            throw new BundleException(BundleException.Problem.UNREADABLE, zip,
                                    zip + " unpacks to more than " + MAX_UNPACKED_BYTES
                                    + " bytes; it is not a model bundle");
                        }
                        os.write(buffer, 0, n);
                    }
                }
            }
        } catch (IOException e) {
            deleteTree(target);
            throw new BundleException(BundleException.Problem.UNREADABLE, zip,
                    "Cannot unpack " + zip + " (" + e.getMessage() + "); pass a bundle "
                    + "directory or a valid .zip of one", e);
        } catch (BundleException e) {
            deleteTree(target);
            throw e;
        }
        if (entries == 0) {
            deleteTree(target);
            throw new BundleException(BundleException.Problem.UNREADABLE, zip,
                    zip + " is not a zip file (or is empty); pass a bundle directory or a .zip "
                    + "of one");
        }
        return target;
    }

    /** A zip may hold the bundle files at its root or inside one top-level folder. */
    private static Path bundleRoot(Path unpacked, Path zip) throws BundleException {
        if (Files.exists(unpacked.resolve(Manifest.FILE_NAME))) {
            return unpacked;
        }
        try (DirectoryStream<Path> children = Files.newDirectoryStream(unpacked)) {
            Path only = null;
            for (Path child : children) {
                if (only != null) {
                    only = null;
                    break;
                }
                only = child;
            }
            if (only != null && Files.isDirectory(only)) {
                return only;
            }
        } catch (IOException e) {
            throw new BundleException(BundleException.Problem.UNREADABLE, zip,
                    "Cannot list " + unpacked + ": " + e.getMessage(), e);
        }
        return unpacked;
    }

    private static void deleteTree(Path root) {
        if (root == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp file left behind is harmless
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    /**
     * Returns the path the bundle was opened from.
     *
     * @return the directory or zip, absolute
     */
    public Path source() {
        return source;
    }

    /**
     * Returns the directory holding the bundle's files (for a zip, where it was unpacked).
     *
     * @return an absolute directory
     */
    public Path directory() {
        return directory;
    }

    /**
     * Returns the checked manifest.
     *
     * @return the manifest
     */
    public Manifest manifest() {
        return manifest;
    }

    /**
     * Returns the model file of one format.
     *
     * @param format the format
     * @return an absolute path inside {@link #directory()}, or empty when the bundle has none
     */
    public Optional<Path> modelFile(ModelFormat format) {
        return manifest.modelFile(format).map(directory::resolve);
    }

    /** Deletes the unpacked copy of a zip bundle; does nothing for a directory bundle. */
    @Override
    public void close() {
        deleteTree(unpacked);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Bundle[" + manifest.name() + " " + manifest.version() + " from " + source + "]";
    }
}
