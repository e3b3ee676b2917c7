package dev.kodiak.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Free names for moves: numbered, and never longer than a file name may be. */
class ImageFilesTest {
    @TempDir
    Path tmp;

    @Test
    void aTakenNameGetsTheFirstFreeNumber() throws Exception {
        Files.writeString(tmp.resolve("cat.png"), "");
        Files.writeString(tmp.resolve("cat.1.png"), "");
        assertThat(ImageFiles.unused(tmp.resolve("cat.png")), is(tmp.resolve("cat.2.png")));
        assertThat(ImageFiles.unused(tmp.resolve("dog.png")), is(tmp.resolve("dog.png")));
        Files.writeString(tmp.resolve("README"), "");
        assertThat(ImageFiles.unused(tmp.resolve("README")), is(tmp.resolve("README.1")));
    }

    @Test
    void aNumberedNameIsShortenedToFitWholeCharacters() throws Exception {
        // 'ß' is two bytes in UTF-8: 125 of them and ".png" make a 254-byte name
        String name = "ß".repeat(125) + ".png";
        Files.writeString(tmp.resolve(name), "");
        Path free = ImageFiles.unused(tmp.resolve(name));
        String freeName = free.getFileName().toString();
        assertThat(freeName, is("ß".repeat(124) + ".1.png"));
        assertThat(freeName.getBytes(StandardCharsets.UTF_8).length <= 255, is(true));
        Files.writeString(free, ""); // the file system takes it
        assertThat(ImageFiles.fit("aßc", 2), is("a"));
        assertThat(ImageFiles.fit("aßc", 3), is("aß"));
    }
}
