package dev.kodiak.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A labelled folder as {@code evaluate} and {@code clean} read it: one sub-folder per label (the
 * fastai/ImageNet layout), named after the label exactly or ignoring case and punctuation.
 * Hidden folders ({@code .kodiak-clean} among them) are not label folders. A label folder that
 * is a symbolic link is followed, and named in {@link #links()}; links further down are not
 * (as {@link ImageFiles#list}). Immutable.
 *
 * @param root the folder
 * @param labels the model's labels, in output order
 * @param folders the label folder of each label index that has one
 * @param files every image file under a label folder, sorted, with its label index
 * @param links the names of the label folders that are symbolic links, sorted
 */
public record LabelledFolder(Path root, List<String> labels, Map<Integer, Path> folders,
        Map<Path, Integer> files, List<String> links) {

    /** Copies the collections. */
    public LabelledFolder {
        labels = List.copyOf(labels);
        folders = Map.copyOf(folders);
        files = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(files));
        links = List.copyOf(links);
    }

    /**
     * Reads the label folders and lists their files.
     *
     * @param root the labelled folder (absolute)
     * @param labels the model's labels
     * @return the folder
     * @throws IOException if the folder cannot be listed
     * @throws CommandException {@link Exit#USAGE} for a folder the model does not know, no
     *     label folders or no files in them
     */
    public static LabelledFolder read(Path root, List<String> labels) throws IOException {
        Map<Integer, Path> folders = new LinkedHashMap<>();
        Map<Path, Integer> files = new LinkedHashMap<>();
        Set<String> unknown = new TreeSet<>();
        List<String> links = new ArrayList<>();
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(root)) {
            stream.forEach(children::add);
        }
        children.sort(null);
        int count = 0;
        for (Path child : children) {
            String name = child.getFileName().toString();
            if (!Files.isDirectory(child) || name.startsWith(".")) {
                continue;
            }
            count++;
            Integer label = labelOf(name, labels);
            if (label == null) {
                unknown.add(name);
                continue;
            }
            folders.putIfAbsent(label, child);
            Path listed = child;
            if (Files.isSymbolicLink(child)) {
                // its files, listed where the link points, keep their names under the link
                links.add(name);
                listed = child.toRealPath();
            }
            for (Path file : ImageFiles.list(listed, null)) {
                files.put(child.resolve(listed.relativize(file)), label);
            }
        }
        if (!unknown.isEmpty()) {
            throw new CommandException(Exit.USAGE, "Label folders the model does not know: "
                    + unknown + "; this model knows " + labels + " (folder names match labels "
                    + "exactly or ignoring case and punctuation, e.g. "
                    + slug(labels.get(0)) + " for " + labels.get(0) + ")");
        }
        if (count == 0) {
            throw new CommandException(Exit.USAGE, root + " has no label folders; put the "
                    + "images of each label in a sub-folder named after it");
        }
        if (files.isEmpty()) {
            throw new CommandException(Exit.USAGE, root + " has label folders but no images "
                    + "in them");
        }
        return new LabelledFolder(root, labels, folders, files, links);
    }

    /**
     * The label a folder name stands for: the label of that name, else the first whose
     * {@link #slug} is the name's slug.
     *
     * @param name a folder name
     * @param labels the model's labels
     * @return the label index, or null when no label matches
     */
    public static Integer labelOf(String name, List<String> labels) {
        if (labels.contains(name)) {
            return labels.indexOf(name);
        }
        String slug = slug(name);
        for (int i = 0; i < labels.size(); i++) {
            if (slug(labels.get(i)).equals(slug)) {
                return i;
            }
        }
        return null;
    }

    /**
     * The folder name for a label: lower case, runs of anything but letters and digits as one
     * dash ({@code t-shirt-top} for {@code T-shirt/top}).
     *
     * @param label a label
     * @return its slug
     */
    public static String slug(String label) {
        return label.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", "-")
                .replaceAll("^-|-$", "");
    }

    /**
     * Refuses label folders that are symbolic links, for a command that moves files: a file
     * moved through one would leave the folder.
     *
     * @param command what refuses, for the message ({@code kodiak clean})
     * @throws CommandException {@link Exit#USAGE} when a label folder is a link
     */
    public void refuseLinks(String command) {
        if (!links.isEmpty()) {
            throw new CommandException(Exit.USAGE, (links.size() == 1 ? "The label folder "
                    + links.get(0) + " is a symbolic link" : "The label folders "
                    + String.join(", ", links) + " are symbolic links") + "; " + command
                    + " moves files only inside " + root + ", so it does not follow links: put"
                    + " the folder itself there, or clean the folder it points to");
        }
    }

    /**
     * Where images of a label go: its existing folder, else a new one named by its slug.
     *
     * @param label a label index
     * @return the folder (may not exist yet)
     */
    public Path folderOf(int label) {
        Path folder = folders.get(label);
        String slug = slug(labels.get(label));
        return folder != null ? folder : root.resolve(slug.isEmpty() ? "label-" + label : slug);
    }
}
