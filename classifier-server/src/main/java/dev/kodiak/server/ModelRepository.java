package dev.kodiak.server;

import static dev.kodiak.server.json.JsonP.JSON;

import dev.kodiak.core.bundle.Manifest;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A folder of models as Triton lays one out: {@code <name>/<version>/}, each version a bundle
 * folder, or {@code <name>/<version>.zip}; versions are positive integers. A model may hold a
 * {@code serving.json} ({@link Serving}). Reading it is only looking: nothing is loaded here, and
 * what is found is described with a fingerprint of its files, so a poll can tell a version that
 * changed (a reload) from one that did not.
 *
 * <p>Files on disk are input: a name that is not a valid model name or a positive integer is
 * skipped and said so; a version that is half copied is found and fails to load (its checksums
 * do not match), then loads on a later poll once its files stop changing.
 *
 * <p>Stateless and thread-safe.
 */
final class ModelRepository {
    /** The file of a model's serving settings. */
    static final String SERVING_FILE = "serving.json";
    private static final System.Logger LOG = System.getLogger(ModelRepository.class.getName());

    private final Path root;

    /**
     * A repository at a folder.
     *
     * @param root the folder
     */
    ModelRepository(Path root) {
        this.root = root;
    }

    /**
     * Returns the folder.
     *
     * @return the repository's root
     */
    Path root() {
        return root;
    }

    /**
     * One version found on disk.
     *
     * @param version its number
     * @param source its bundle folder or zip
     * @param fingerprint its files' names, sizes and modification times, hashed
     */
    record Found(int version, Path source, String fingerprint) {
    }

    /**
     * One model found on disk.
     *
     * @param name its name
     * @param versions its versions by number
     * @param serving its serving settings ({@link Serving#DEFAULT} without a file)
     * @param problem what is wrong with its {@code serving.json}, or null
     */
    record Model(String name, Map<Integer, Found> versions, Serving serving, String problem) {
    }

    /**
     * Reads every model.
     *
     * @return the models by name, in name order; empty when the folder is missing
     */
    Map<String, Model> scan() {
        Map<String, Model> models = new TreeMap<>();
        if (!Files.isDirectory(root)) {
            LOG.log(System.Logger.Level.WARNING, "the model repository {0} is not a folder; it "
                    + "serves nothing until it is", root);
            return models;
        }
        try (DirectoryStream<Path> children = Files.newDirectoryStream(root)) {
            for (Path child : children) {
                String name = child.getFileName().toString();
                if (name.startsWith(".") || !Files.isDirectory(child)) {
                    continue;
                }
                if (!Manifest.isValidName(name)) {
                    LOG.log(System.Logger.Level.WARNING, "skipping {0} in the model repository: "
                            + "model names are a-z, 0-9, '.', '_', '-'", child);
                    continue;
                }
                models.put(name, model(name, child));
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read the model repository {0}: {1}",
                    root, e.toString());
        }
        return models;
    }

    /**
     * Reads one model.
     *
     * @param name the model's name
     * @return the model, or null when the repository has no folder of that name
     */
    Model scan(String name) {
        Path folder = root.resolve(name);
        if (!Manifest.isValidName(name) || !Files.isDirectory(folder)) {
            return null;
        }
        return model(name, folder);
    }

    private Model model(String name, Path folder) {
        Map<Integer, Found> versions = new TreeMap<>();
        Serving serving = Serving.DEFAULT;
        String problem = null;
        try (DirectoryStream<Path> children = Files.newDirectoryStream(folder)) {
            for (Path child : children) {
                String file = child.getFileName().toString();
                if (file.equals(SERVING_FILE) || file.startsWith(".")) {
                    continue;
                }
                boolean zip = file.endsWith(".zip") && Files.isRegularFile(child);
                String number = zip ? file.substring(0, file.length() - 4) : file;
                int version = version(number);
                if (version < 1 || !zip && !Files.isDirectory(child)) {
                    LOG.log(System.Logger.Level.DEBUG, "skipping {0}: a version is a folder or "
                            + ".zip named by a positive integer", child);
                    continue;
                }
                if (versions.containsKey(version)) {
                    LOG.log(System.Logger.Level.WARNING, "model {0} has version {1} as a folder "
                            + "and as a zip; serving the folder", name, version);
                    if (zip) {
                        continue;
                    }
                }
                versions.put(version, new Found(version, child, fingerprint(child)));
            }
            Path servingFile = folder.resolve(SERVING_FILE);
            if (Files.isRegularFile(servingFile)) {
                try (JsonReader reader = JSON.createReader(new StringReader(
                        Files.readString(servingFile, StandardCharsets.UTF_8)))) {
                    JsonObject json = reader.readObject();
                    serving = Serving.read(json);
                } catch (JsonException | IllegalArgumentException | IllegalStateException e) {
                    problem = servingFile + " is not usable (" + e.getMessage() + "); serving "
                            + "the latest version to all traffic until it is fixed";
                }
            }
        } catch (IOException e) {
            problem = "cannot read " + folder + ": " + e;
        }
        return new Model(name, versions, serving, problem);
    }

    /** A positive int, or -1 for anything else (leading zeros, signs and spaces included). */
    private static int version(String text) {
        if (text.isEmpty() || text.length() > 9 || text.charAt(0) == '0') {
            return -1;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return -1;
            }
        }
        return Integer.parseInt(text);
    }

    /**
     * What a version's files look like now: every file's path, size and modification time, in
     * path order, hashed. Contents are not read: the manifest's checksums are checked at load.
     *
     * @param source a bundle folder or zip
     * @return the fingerprint, or a text saying it could not be read (which also differs)
     */
    static String fingerprint(Path source) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : (Iterable<Path>) files.sorted()::iterator) {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS);
                BasicFileAttributes target = a.isSymbolicLink()
                        ? Files.readAttributes(file, BasicFileAttributes.class) : a;
                if (target.isRegularFile()) {
                    lines.add(source.relativize(file) + " " + target.size() + " "
                            + target.lastModifiedTime().toMillis());
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unreadable: " + e;
        }
        for (String line : lines) {
            sha.update(line.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) '\n');
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
