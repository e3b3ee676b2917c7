package dev.kodiak.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.kodiak.core.testing.Fixtures;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Putting a bundle in the blog (issue 24, items 9 and 10): {@code kodiak site-bundle} checks it
 * and copies its browser part where the widget finds it; the site build warns when a widget with
 * runtime auto and no server would download a model over 20 MB into every reader's browser.
 */
class SiteBundleTest {
    @TempDir
    Path tmp;

    private Path site() throws Exception {
        Path site = Files.createDirectories(tmp.resolve("blog"));
        Files.writeString(site.resolve("_config.yml"), "title: test\ntheme: minima\n");
        return site;
    }

    @Test
    void aBundleIsCheckedCopiedAndExplained() throws Exception {
        Path site = site();
        CliTest.Run run = CliTest.run("site-bundle", Fixtures.bundle("tiny-rgb").toString(),
                "--site", site.toString(), "--name", "pets");
        assertThat(run.err(), run.exit(), is(0));
        Path folder = site.resolve("assets/models/pets");
        assertThat(Files.readAllBytes(folder.resolve("model.onnx")), is(Files.readAllBytes(
                Fixtures.bundle("tiny-rgb").resolve("model.onnx"))));
        assertThat(Files.readString(folder.resolve("kodiak.json")), is(Files.readString(
                Fixtures.bundle("tiny-rgb").resolve("kodiak.json"))));
        assertThat(Files.exists(folder.resolve("model.pt")), is(false));
        assertThat(run.out(), containsString("ONNX Runtime matches its probe"));
        assertThat(run.out(), containsString("{% include kodiak-classifier.html "
                + "runtime=\"browser\" bundle=\"/assets/models/pets/\" %}"));
        // its own name by default
        assertThat(CliTest.run("site-bundle", Fixtures.bundle("tiny-rgb").toString(), "--site",
                site.toString()).exit(), is(0));
        assertThat(Files.isRegularFile(site.resolve("assets/models/tiny-rgb/model.onnx")),
                is(true));
        assertThat("a bundle without an int8 model gets none", Files.exists(site.resolve(
                "assets/models/tiny-rgb/model.int8.onnx")), is(false));
    }

    @Test
    void anInt8ModelComesAlongCheckedForDataPrecision() throws Exception {
        Path site = site();
        CliTest.Run run = CliTest.run("site-bundle", Fixtures.defaultBundle().toString(),
                "--site", site.toString());
        assertThat(run.err(), run.exit(), is(0));
        Path folder = site.resolve("assets/models/fashion-mnist");
        for (String file : List.of("kodiak.json", "model.onnx", "model.int8.onnx")) {
            assertThat(file, Files.readAllBytes(folder.resolve(file)), is(Files.readAllBytes(
                    Fixtures.defaultBundle().resolve(file))));
        }
        assertThat(run.out(), containsString("model.int8.onnx (0.4 MB)"));
    }

    @Test
    void aBundleTheBrowserCannotUseIsRefusedByName() throws Exception {
        Path site = site();
        Path broken = Files.createDirectories(tmp.resolve("broken"));
        try (Stream<Path> files = Files.list(Fixtures.bundle("tiny-rgb"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, broken.resolve(f.getFileName()));
            }
        }
        byte[] onnx = Files.readAllBytes(broken.resolve("model.onnx"));
        onnx[onnx.length / 2] ^= 1;
        Files.write(broken.resolve("model.onnx"), onnx);
        CliTest.Run run = CliTest.run("site-bundle", broken.toString(), "--site",
                site.toString());
        assertThat(run.exit(), is(Exit.BUNDLE));
        assertThat(run.err(), containsString("sha256"));
        assertThat(Files.exists(site.resolve("assets/models/tiny-rgb")), is(false));
        CliTest.Run notSite = CliTest.run("site-bundle", Fixtures.bundle("tiny-rgb").toString(),
                "--site", tmp.toString());
        assertThat(notSite.exit(), is(Exit.USAGE));
        assertThat(notSite.err(), containsString("no _config.yml"));
    }

    @Test
    void theSiteBuildWarnsAboutALargeModelAutoWouldDownload() throws Exception {
        Path site = site();
        Path plugins = Files.createDirectories(site.resolve("_plugins"));
        Files.copy(Fixtures.root().resolve("site/_plugins/kodiak_widgets.rb"),
                plugins.resolve("kodiak_widgets.rb"));
        Path big = Files.createDirectories(site.resolve("assets/models/big"));
        Files.copy(Fixtures.bundle("tiny-rgb").resolve("kodiak.json"),
                big.resolve("kodiak.json"));
        try (RandomAccessFile f = new RandomAccessFile(big.resolve("model.onnx").toFile(),
                "rw")) {
            f.setLength(25_000_000L); // a sparse file: only its size counts here
        }
        Path posts = Files.createDirectories(site.resolve("_posts"));
        Files.writeString(posts.resolve("2026-12-01-auto.md"), "---\nlayout: post\ntitle: a\n"
                + "---\n{% comment %}{% endcomment %}\n"
                + "{%- include kodiak-classifier.html bundle=\"/assets/models/big/\" -%}\n");
        Files.writeString(posts.resolve("2026-12-02-server.md"), "---\nlayout: post\ntitle: b\n"
                + "---\n{% include kodiak-classifier.html bundle=\"/assets/models/big/\" "
                + "model=\"big\" %}\n");
        Files.writeString(posts.resolve("2026-12-03-browser.md"), "---\nlayout: post\ntitle: c\n"
                + "---\n{% include kodiak-classifier.html runtime=\"browser\" "
                + "bundle=\"/assets/models/big/\" %}\n");
        Path includes = Files.createDirectories(site.resolve("_includes"));
        Files.copy(Fixtures.root().resolve("site/_includes/kodiak-classifier.html"),
                includes.resolve("kodiak-classifier.html"));
        Process jekyll = new ProcessBuilder(List.of("jekyll", "build", "--source",
                site.toString(), "--destination", tmp.resolve("out").toString(),
                "--disable-disk-cache")).redirectErrorStream(true).start();
        String log = new String(jekyll.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(log, jekyll.waitFor(120, TimeUnit.SECONDS), is(true));
        assertThat(log, jekyll.exitValue(), is(0));
        assertThat(log, containsString("Kodiak: _posts/2026-12-01-auto.md: runtime \"auto\" "
                + "with no server (model) downloads /assets/models/big/model.onnx (25.0 MB"));
        assertThat("a server to fall back to: no warning", log,
                not(containsString("2026-12-02-server.md")));
        assertThat("runtime browser is meant: no warning", log,
                not(containsString("2026-12-03-browser.md")));
    }
}
