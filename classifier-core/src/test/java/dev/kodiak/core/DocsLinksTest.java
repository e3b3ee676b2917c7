package dev.kodiak.core;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

import dev.kodiak.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link of the README and the guides leads somewhere: the file or folder exists,
 * inside the repository, and an anchor into a Markdown file names one of its headings as GitHub
 * spells them. Links to other sites are not followed.
 */
class DocsLinksTest {
    /** Inline links and images, {@code [text](target)}; a title after the target is allowed. */
    private static final Pattern INLINE = Pattern.compile("\\]\\(([^()\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    /** Reference definitions, {@code [name]: target}. */
    private static final Pattern REFERENCE = Pattern.compile("^ {0,3}\\[[^\\]]+\\]:\\s*(\\S+)");
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");
    private static final Pattern CODE_SPAN = Pattern.compile("`[^`]*`");

    /** @return README.md, benchmarks/README.md and every Markdown file under docs/ */
    static List<Path> documents() throws IOException {
        Path root = Fixtures.root();
        List<Path> documents = new ArrayList<>(List.of(root.resolve("README.md"),
                root.resolve("benchmarks/README.md")));
        try (Stream<Path> files = Files.walk(root.resolve("docs"))) {
            files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
        }
        return documents;
    }

    /** @return the link targets of a Markdown text, outside code blocks and code spans */
    static List<String> links(String markdown) {
        List<String> links = new ArrayList<>();
        boolean code = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.stripLeading().startsWith("```")) {
                code = !code;
                continue;
            }
            if (code) {
                continue;
            }
            String text = CODE_SPAN.matcher(line).replaceAll("");
            Matcher inline = INLINE.matcher(text);
            while (inline.find()) {
                links.add(inline.group(1));
            }
            Matcher reference = REFERENCE.matcher(text);
            if (reference.find()) {
                links.add(reference.group(1));
            }
        }
        return links;
    }

    /** @return the anchors GitHub makes for the headings of a Markdown text */
    static Set<String> anchors(String markdown) {
        Set<String> anchors = new HashSet<>();
        boolean code = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.stripLeading().startsWith("```")) {
                code = !code;
            } else if (!code && line.matches("^#{1,6} .*")) {
                String slug = line.replaceFirst("^#+ ", "").strip().toLowerCase(Locale.ROOT)
                        .replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
                String anchor = slug;
                for (int n = 1; !anchors.add(anchor); n++) {
                    anchor = slug + "-" + n;
                }
            }
        }
        return anchors;
    }

    @Test
    void everyRelativeLinkResolves() throws IOException {
        Path root = Fixtures.root().toAbsolutePath().normalize();
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path document : documents()) {
            String markdown = Files.readString(document);
            String name = root.relativize(document.toAbsolutePath().normalize()).toString();
            for (String link : links(markdown)) {
                if (SCHEME.matcher(link).find()) {
                    continue;
                }
                checked++;
                int hash = link.indexOf('#');
                String path = hash < 0 ? link : link.substring(0, hash);
                String anchor = hash < 0 ? null : link.substring(hash + 1);
                Path target = path.isEmpty() ? document
                        : document.getParent().resolve(path).toAbsolutePath().normalize();
                if (!target.startsWith(root)) {
                    broken.add(name + ": " + link + " leads out of the repository");
                } else if (!Files.exists(target)) {
                    broken.add(name + ": " + link + " (no " + root.relativize(target) + ")");
                } else if (anchor != null && target.toString().endsWith(".md")
                        && !anchors(Files.readString(target)).contains(anchor)) {
                    broken.add(name + ": " + link + " (no heading #" + anchor + " in "
                            + root.relativize(target) + ")");
                }
            }
        }
        assertThat("relative links checked", checked, greaterThan(20));
        assertThat("broken links", broken, is(empty()));
    }

    @Test
    void linksAndAnchorsAreReadAsGitHubReadsThem() {
        String markdown = """
                # What "matches PyTorch" means
                ## Cleaning a dataset in the browser: kodiak clean
                ## Routes
                ## Routes
                See [a](docs/a.md#routes), ![b](img/b.png "title") and `[not](a link)`.
                ```
                [not](a link either)
                ```
                [ref]: docs/c.md
                """;
        assertThat(links(markdown), is(List.of("docs/a.md#routes", "img/b.png", "docs/c.md")));
        assertThat(anchors(markdown), is(Set.of("what-matches-pytorch-means",
                "cleaning-a-dataset-in-the-browser-kodiak-clean", "routes", "routes-1")));
    }
}
