package dev.kodiak.server.browser;

import static dev.kodiak.server.browser.WidgetPage.answer;
import static dev.kodiak.server.browser.WidgetPage.assertSameAnswer;
import static dev.kodiak.server.browser.WidgetPage.classify;
import static dev.kodiak.server.browser.WidgetPage.error;
import static dev.kodiak.server.browser.WidgetPage.fetched;
import static dev.kodiak.server.browser.WidgetPage.severeConsoleMessages;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import jakarta.json.JsonObject;
import dev.kodiak.core.Classifier;
import dev.kodiak.core.PreparedImage;
import dev.kodiak.core.preprocess.ColorMode;
import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.core.testing.StaticFiles;
import dev.kodiak.core.topk.TopKOptions;
import dev.kodiak.testing.Chromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The built blog ({@code site/target/_site}) on a plain static file server, with no Kodiak
 * process anywhere: the widget runs the bundles' {@code model.onnx} in headless Chromium and
 * answers as the JVM does, for every input-spec form (squish, crop, pad; RGB and L) and the
 * hard images (16-bit, transparent PNG, GIF and WebP, EXIF-rotated, RLE bitmaps). Every one of
 * those bundles runs on Kodiak's own forward pass; a model with operators it lacks runs on
 * onnxruntime-web.
 */
class StaticSiteTest {
    static final String LIVE_POST = BlogTest.LIVE_POST;
    static final String HOWTO_POST = BlogTest.HOWTO_POST;
    static final String WIDGETS = "/kodiak-test/widgets.html";

    /** Every image form the fixtures hold that the JVM decodes exactly as PIL. */
    static final List<String> PHOTOS = List.of("png-rgb8.png", "png-rgba-half.png",
            "png-rgba16-adam7.png", "png-gray16.png", "png-rgb16.png", "png-la8.png",
            "png-palette.png", "png-gray1.png", "png-exif-6.png", "png-xmp-8.png",
            "png-raw-exif-3.png", "jpeg-exif-6.jpg", "jpeg-baseline.jpg", "jpeg-gray.jpg",
            "jpeg-progressive.jpg", "gif-palette.gif", "gif-transparent.gif",
            "gif-offset-transparent.gif", "webp-lossless.webp", "webp-lossy-alpha.webp",
            "webp-animated-offset.webp", "webp-exif-6.webp", "bmp-rgb24.bmp", "bmp-rle8.bmp",
            "bmp-rle4.bmp");
    /** For the tiny bundles: the images that prove the hard parts. */
    static final List<String> HARD_PHOTOS = List.of("png-rgba-half.png", "png-rgba16-adam7.png",
            "png-gray16.png", "png-la8.png", "jpeg-exif-6.jpg", "png-rgb8.png",
            "gif-transparent.gif", "webp-lossy-alpha.webp");

    @TempDir
    static Path temp;
    static StaticFiles host;
    static ChromeDriver browser;
    static final Map<String, Classifier> JVM = new TreeMap<>();
    static Classifier JVM_INT8;

    @BeforeAll
    static void start() throws Exception {
        Path site = Fixtures.root().resolve("site/target/_site");
        assertThat("the built blog is missing; build it with ./kodiak site",
                Files.isRegularFile(site.resolve("assets/kodiak/kodiak-widget.js")), is(true));
        Path test = Files.createDirectories(temp.resolve("kodiak-test"));
        Map<String, Map<String, String>> widgets = new LinkedHashMap<>();
        for (String bundle : Fixtures.BUNDLES) {
            copyBundle(Fixtures.bundle(bundle), test.resolve("bundles").resolve(bundle));
            widgets.put("b-" + bundle, Map.of("runtime", "browser", "bundle",
                    "/kodiak-test/bundles/" + bundle + "/", "top-k", "10"));
            JVM.put(bundle, Classifier.open(Fixtures.bundle(bundle)));
        }
        // the default bundle with its int8 model, asked for by data-precision
        Path int8 = test.resolve("bundles/fashion-int8");
        copyBundle(Fixtures.defaultBundle(), int8);
        Files.copy(Fixtures.defaultBundle().resolve("model.int8.onnx"),
                int8.resolve("model.int8.onnx"));
        widgets.put("int8", Map.of("runtime", "browser", "bundle",
                "/kodiak-test/bundles/fashion-int8/", "top-k", "10", "precision", "int8"));
        JVM_INT8 = Classifier.open(dev.kodiak.core.ClassifierConfig.builder(
                Fixtures.defaultBundle()).precision(dev.kodiak.core.bundle.Precision.INT8)
                .build());
        // operators Kodiak's own forward pass lacks (ReduceMean, Sqrt): onnxruntime-web runs it
        copyBundle(Fixtures.bundle("tiny-nan"), test.resolve("bundles/tiny-nan"));
        widgets.put("b-tiny-nan", Map.of("runtime", "browser", "bundle",
                "/kodiak-test/bundles/tiny-nan/"));
        JVM.put("tiny-nan", Classifier.open(Fixtures.bundle("tiny-nan")));
        // a model file damaged on its way: the manifest's sha256 no longer matches
        Path broken = test.resolve("bundles/broken");
        copyBundle(Fixtures.defaultBundle(), broken);
        byte[] onnx = Files.readAllBytes(broken.resolve("model.onnx"));
        onnx[onnx.length - 100] ^= 0x55;
        Files.write(broken.resolve("model.onnx"), onnx);
        widgets.put("broken", Map.of("runtime", "browser", "bundle",
                "/kodiak-test/bundles/broken/"));
        // a probe the exporter found blind to mean and std (as for a model whose scores hardly
        // move with them)
        Path weak = test.resolve("bundles/weak-probe");
        copyBundle(Fixtures.bundle("tiny-rgb"), weak);
        String manifest = Files.readString(weak.resolve("kodiak.json"));
        String blind = manifest.replaceFirst("\"probe\"\\s*:\\s*\\{",
                "\"probe\": {\"misses\": [\"mean\", \"std\"], ");
        assertThat("the test bundle got its misses", blind, not(is(manifest)));
        Files.writeString(weak.resolve("kodiak.json"), blind);
        widgets.put("weak-probe", Map.of("runtime", "browser", "bundle",
                "/kodiak-test/bundles/weak-probe/"));
        Files.writeString(test.resolve("widgets.html"), WidgetPage.page(widgets));
        host = StaticFiles.start(Map.of("/", site, "/kodiak-test/", test,
                "/kodiak-test/images/", Fixtures.testdata().resolve("images")), false, false);
        browser = Chromium.start(Fixtures.root().resolve(
                "classifier-server/target/chromium-profile-static"), 1280, 1000);
    }

    static void copyBundle(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        for (String file : List.of("kodiak.json", "model.onnx")) {
            Files.copy(from.resolve(file), to.resolve(file));
        }
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (host != null) {
            host.close();
        }
        JVM.values().forEach(Classifier::close);
        if (JVM_INT8 != null) {
            JVM_INT8.close();
        }
    }

    /**
     * {@code data-precision="int8"}: the page downloads {@code model.int8.onnx}, not
     * {@code model.onnx}, and answers as the JVM's int8 model does: the same top-1, and every
     * score (a log-probability relative to the top one's, which is the logit difference) within
     * the int8 probe's steps of the JVM's.
     */
    @Test
    void int8AnswersAsTheJvmsInt8Model() throws Exception {
        openWidgets();
        WebElement widget = browser.findElement(By.id("int8"));
        List<String> failures = new ArrayList<>();
        for (String photo : HARD_PHOTOS) {
            Path file = Fixtures.image(photo).path();
            failures.addAll(int8Differences(answer(classify(browser, widget, file), photo), file,
                    photo));
        }
        assertThat("int8 answers that differ from the JVM's", failures, is(empty()));
        List<String> models = fetched(browser).stream().filter(u -> u.contains("fashion-int8/"))
                .toList();
        assertThat(models, hasItem(containsString("fashion-int8/model.int8.onnx")));
        assertThat("the fp32 file is not downloaded", models.stream().noneMatch(u -> u
                .endsWith("fashion-int8/model.onnx")), is(true));
    }

    /**
     * How a page's answer differs from the JVM's int8 model's, beyond the int8 rule: the same
     * top-1, and every score (a log-probability relative to the top one's, which is the logit
     * difference) within the int8 probe's steps of the JVM's, both ends of the difference
     * allowed to move.
     */
    static List<String> int8Differences(JsonObject detail, Path file, String what)
            throws Exception {
        dev.kodiak.core.bundle.Int8Model int8 = JVM_INT8.manifest().int8().orElseThrow();
        dev.kodiak.core.Classification jvm = JVM_INT8.classify(Files.readAllBytes(file),
                new TopKOptions(10, 0f, Set.of()));
        var predictions = detail.getJsonArray("predictions");
        if (!predictions.getJsonObject(0).getString("label").equals(jvm.top().label())) {
            return List.of(what + ": top-1 " + predictions.getJsonObject(0).getString("label")
                    + " in the page, " + jvm.top().label() + " on the JVM");
        }
        List<String> failures = new ArrayList<>();
        double pageTop = Math.log(predictions.getJsonObject(0).getJsonNumber("probability")
                .doubleValue());
        double jvmTop = Math.log(jvm.top().probability());
        for (var element : predictions) {
            JsonObject p = element.asJsonObject();
            double page = Math.log(p.getJsonNumber("probability").doubleValue()) - pageTop;
            double expected = Math.log(jvm.predictions().stream().filter(e -> e.label()
                    .equals(p.getString("label"))).findFirst().orElseThrow().probability())
                    - jvmTop;
            if (!(Math.abs(page - expected) <= 2 * int8.allowed())) {
                failures.add(what + ": " + p.getString("label") + " differs by "
                        + Math.abs(page - expected) + " (allowed " + 2 * int8.allowed() + ")");
            }
        }
        return failures;
    }

    @BeforeEach
    void clearLogs() {
        browser.manage().logs().get(LogType.BROWSER);
    }

    /** Opens the test page of widgets, one per bundle, unless it is already open. */
    static void openWidgets() {
        if (!browser.getCurrentUrl().equals(host.url(WIDGETS))) {
            browser.get(host.url(WIDGETS));
        }
        WidgetPage.awaitBuilt(browser, "broken");
    }

    static List<String> otherOrigins() {
        return fetched(browser).stream().filter(url -> !url.startsWith(host.origin() + "/")
                && !url.startsWith("blob:" + host.origin() + "/")).toList();
    }

    @Test
    void theLivePostLoadsNoModelUntilTheReaderComes() throws Exception {
        browser.get(host.url(LIVE_POST));
        WebElement widget = new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> {
            List<WebElement> built = d.findElements(By.cssSelector(
                    ".kodiak-classifier[data-kodiak-ready='ready']"));
            return built.isEmpty() ? null : built.get(0);
        });
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> "complete".equals(
                browser.executeScript("return document.readyState")));
        assertThat(widget.getAttribute("data-kodiak-state"), is("idle"));
        assertThat(widget.getAttribute("data-kodiak-runtime"), is("browser"));
        for (String heavy : List.of("kodiak-engine.js", "/ort/", "model.onnx", "model.int8.onnx",
                "kodiak.json")) {
            assertThat("fetched before the reader did anything", fetched(browser),
                    not(hasItem(containsString(heavy))));
        }

        // the pointer over the widget: the model starts loading, and is checked
        new Actions(browser).moveToElement(widget).perform();
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> "ready".equals(
                widget.getAttribute("data-kodiak-state")));
        // the blog asks for precision auto (_config.yml): the default bundle's int8 model,
        // which measured equal, a quarter of the bytes; the fp32 file is not downloaded
        assertThat(fetched(browser), hasItem(containsString("/assets/models/fashion-mnist/"
                + "model.int8.onnx")));
        assertThat(fetched(browser), not(hasItem(containsString("/assets/models/fashion-mnist/"
                + "model.onnx"))));
        // Kodiak's own forward pass runs it: onnxruntime-web is never downloaded
        assertThat(fetched(browser), not(hasItem(containsString("/assets/kodiak/ort/"))));

        // an example, answered in the page as on the JVM
        WebElement example = widget.findElements(By.cssSelector(".kodiak-example")).get(7);
        String src = example.findElement(By.tagName("img")).getAttribute("src");
        browser.executeScript(WidgetPage.RECORDER);
        browser.executeScript("arguments[0].id = 'live';", widget);
        example.click();
        JsonObject detail = answer(WidgetPage.awaitEvent(browser, "live", 0), src);
        Path file = Fixtures.root().resolve("site" + src.substring(host.origin().length()));
        assertThat(int8Differences(detail, file, src), is(empty()));
        assertThat(detail.getString("engine"), is("kodiak"));
        assertThat(fetched(browser), not(hasItem(containsString("/assets/kodiak/ort/"))));
        assertThat(widget.findElement(By.cssSelector(".kodiak-status")).getText(),
                containsString("on this device"));
        assertThat(severeConsoleMessages(browser), is(empty()));
        assertThat("requests to other origins", otherOrigins(), is(empty()));
    }

    /**
     * A reader whose browser asks to save data ({@code navigator.connection.saveData}): the
     * pointer over the widget loads nothing; choosing an image loads the model and answers.
     */
    @Test
    void withSaveDataNothingLoadsBeforeAnImage() throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> script = browser.executeCdpCommand(
                "Page.addScriptToEvaluateOnNewDocument", Map.of("source", "Object.defineProperty("
                + "navigator, 'connection', {value: {saveData: true}, configurable: true});"));
        try {
            WebElement widget = openLivePost();
            new Actions(browser).moveToElement(widget).perform();
            browser.executeScript("arguments[0].focus();", widget.findElement(
                    By.cssSelector(".kodiak-choose")));
            awaitFrames();
            assertThat(widget.getAttribute("data-kodiak-state"), is("idle"));
            assertThat("fetched with saveData before an image", fetched(browser), not(hasItem(
                    containsString("kodiak-engine.js"))));
            JsonObject detail = answer(classify(browser, widget, Fixtures.image(
                    "png-rgb8.png").path()), "saveData");
            assertThat(detail.getJsonArray("predictions").size(), is(3));
        } finally {
            browser.executeCdpCommand("Page.removeScriptToEvaluateOnNewDocument", Map.of(
                    "identifier", script.get("identifier")));
        }
    }

    /**
     * While the model loads, the progress line counts bytes as they travel over a known total:
     * here (no compression, and Kodiak's own forward pass, so no onnxruntime-web) the model
     * file the blog's precision auto chooses, whole.
     */
    @Test
    void progressCountsTowardsAKnownTotal() throws Exception {
        WebElement widget = openLivePost();
        browser.executeScript("window.kodiakProgress = [];"
                + "var root = arguments[0]; new MutationObserver(function() {"
                + " var p = root.querySelector('.kodiak-progress');"
                + " if (!p.hidden) { window.kodiakProgress.push({text: p.textContent,"
                + "  value: p.querySelector('progress').getAttribute('value')}); }"
                + "}).observe(root, {subtree: true, childList: true, characterData: true,"
                + " attributes: true});", widget);
        new Actions(browser).moveToElement(widget).perform();
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> "ready".equals(
                widget.getAttribute("data-kodiak-state")));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> seen = (List<Map<String, Object>>) browser.executeScript(
                "return window.kodiakProgress;");
        assertThat(seen.isEmpty(), is(false));
        Path site = Fixtures.root().resolve("site/target/_site");
        double total = Files.size(site.resolve("assets/models/fashion-mnist/model.int8.onnx"))
                / 1e6;
        Map<String, Object> last = seen.get(seen.size() - 1);
        assertThat(last.toString(), (String) last.get("text"), is("Loading the model: "
                + String.format(java.util.Locale.ROOT, "%.1f of %.1f MB", total, total)
                + " (once; your browser keeps it)"));
        assertThat(last.toString(), last.get("value"), is("1.000"));
    }

    /** Opens the live post and names its widget "live". */
    static WebElement openLivePost() {
        browser.get(host.url(LIVE_POST));
        WebElement widget = new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> {
            List<WebElement> built = d.findElements(By.cssSelector(
                    ".kodiak-classifier[data-kodiak-ready='ready']"));
            return built.isEmpty() ? null : built.get(0);
        });
        browser.executeScript("arguments[0].id = 'live';", widget);
        return widget;
    }

    /** Two animation frames: whatever an event started synchronously has happened. */
    static void awaitFrames() {
        browser.executeAsyncScript("var done = arguments[0]; requestAnimationFrame(function() {"
                + " requestAnimationFrame(function() { done(); }); });");
    }

    static dev.kodiak.core.Classification jvmAnswer(String bundle, Path file,
            TopKOptions options) {
        try {
            return JVM.get(bundle).classify(Files.readAllBytes(file), options);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Squish, crop and pad, RGB and L: the page answers as the JVM does, to 1e-4. */
    @Test
    void everyBundleFormAnswersAsTheJvmDoes() throws Exception {
        openWidgets();
        List<String> failures = new ArrayList<>();
        for (String bundle : Fixtures.BUNDLES) {
            WebElement widget = browser.findElement(By.id("b-" + bundle));
            for (String photo : bundle.equals("fashion-mnist") ? PHOTOS : HARD_PHOTOS) {
                Path file = Fixtures.image(photo).path();
                String what = bundle + " / " + photo;
                try {
                    JsonObject detail = answer(classify(browser, widget, file), what);
                    assertSameAnswer(detail, jvmAnswer(bundle, file, new TopKOptions(10, 0f,
                            Set.of())), what);
                    assertThat(what + ": engine", detail.getString("engine"), is("kodiak"));
                } catch (AssertionError e) {
                    failures.add(e.getMessage());
                }
            }
        }
        assertThat("answers that differ from the JVM's", failures, is(empty()));
        assertThat(severeConsoleMessages(browser), is(empty()));
        assertThat("requests to other origins", otherOrigins(), is(empty()));
    }

    /**
     * A model whose operators Kodiak's own forward pass lacks loads onnxruntime-web, which
     * answers as the JVM does; the answer says which engine ran it.
     */
    @Test
    void aModelTheOwnForwardPassCannotRunRunsOnOnnxRuntime() {
        openWidgets();
        WebElement widget = browser.findElement(By.id("b-tiny-nan"));
        Path file = Fixtures.image("png-rgb8.png").path();
        JsonObject detail = answer(classify(browser, widget, file), "tiny-nan");
        assertSameAnswer(detail, jvmAnswer("tiny-nan", file, new TopKOptions(3, 0f,
                Set.of())), "tiny-nan");
        assertThat(detail.getString("runtime"), is("browser"));
        assertThat(detail.getString("engine"), is("onnxruntime-web"));
        assertThat(fetched(browser), hasItem(containsString("/assets/kodiak/ort/"
                + "ort-wasm-simd-threaded.wasm")));
        assertThat(severeConsoleMessages(browser), is(empty()));
    }

    /**
     * A bundle whose probe cannot see an edit of some input-spec fields (found by the exporter)
     * says so in the console when the page opens it, in the words the JVM logs (issue 24).
     */
    @Test
    void aProbeThatCannotSeeSomeEditsIsSaidInTheConsole() {
        browser.get(host.url(WIDGETS)); // a new page: it opens its bundles again
        WidgetPage.awaitBuilt(browser, "broken");
        browser.manage().logs().get(LogType.BROWSER);
        Path photo = Fixtures.image("png-rgb8.png").path();
        for (String widget : List.of("weak-probe", "b-tiny-rgb")) {
            answer(classify(browser, browser.findElement(By.id(widget)), photo), widget);
        }
        List<String> warnings = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().equals(java.util.logging.Level.WARNING))
                .map(org.openqa.selenium.logging.LogEntry::getMessage).toList();
        assertThat(warnings, hasItem(containsString("the probe of bundle 'tiny-rgb' cannot "
                + "detect an edit of mean, std in kodiak.json")));
        assertThat("one warning, for the bundle whose probe is blind", warnings.stream()
                .filter(w -> w.contains("the probe of bundle")).count(), is(1L));
    }

    /** The {@code kodiak:answer} detail is the API's answer, shape and identity. */
    @Test
    void theAnswerEventHasTheApisShape() throws Exception {
        openWidgets();
        Path photo = Fixtures.image("jpeg-exif-6.jpg").path();
        JsonObject detail = answer(classify(browser, browser.findElement(By.id(
                "b-tiny-rgb")), photo), "tiny-rgb");
        Classifier jvm = JVM.get("tiny-rgb");
        JsonObject model = detail.getJsonObject("model");
        assertThat(model.getString("name"), is("tiny-rgb"));
        assertThat(model.getString("version"), is(jvm.manifest().version()));
        assertThat(model.getString("sha256"), is(jvm.manifest().modelSha256()));
        PreparedImage prepared = jvm.stages().prepare(Files.readAllBytes(photo));
        assertThat(detail.getJsonObject("image").getInt("width"),
                is(prepared.width()));
        assertThat(detail.getJsonObject("image").getInt("height"),
                is(prepared.height()));
        assertThat(detail.getString("runtime"), is("browser"));
        assertThat(detail.getInt("batch_size"), is(1));
        assertThat(detail.getJsonArray("predictions").size(), is(3));
        JsonObject timings = detail.getJsonObject("timings_ms");
        for (String key : List.of("queue_wait", "decode", "preprocess", "inference", "total")) {
            assertThat(key, timings.getJsonNumber(key).doubleValue() >= 0, is(true));
        }
        assertThat(detail.getJsonNumber("elapsed_ms").doubleValue() >= timings.getJsonNumber("inference")
                .doubleValue(), is(true));
    }

    /** The same words as in server mode (BlogTest checks those with the same constants). */
    @Test
    void notAnImageAndTooLargeAreSaidInPlainWords() {
        openWidgets();
        WebElement widget = browser.findElement(By.id("b-fashion-mnist"));
        Map<String, String> expected = Map.of(
                "html-renamed.jpg", WidgetPage.NOT_AN_IMAGE,
                "text-renamed.png", WidgetPage.NOT_AN_IMAGE,
                "bomb-65000.png", WidgetPage.tooLarge(65000, 65000),
                "strip-1x5000000.png", WidgetPage.tooThin(1, 5000000));
        expected.forEach((name, message) -> {
            assertThat(name, error(classify(browser, widget, Fixtures.image(name).path()),
                    name), is(message));
            assertThat(widget.findElement(By.cssSelector(".kodiak-error")).getText(),
                    is(message));
        });
    }

    @Test
    void aDamagedModelIsRefusedInPlainWords() {
        openWidgets();
        WebElement widget = browser.findElement(By.id("broken"));
        String message = error(classify(browser, widget, Fixtures.image("png-rgb8.png")
                .path()), "broken bundle");
        assertThat(message, startsWith("The model file did not arrive intact: its checksum is "
                + "not the one in kodiak.json, so it is not used."));
        assertThat(widget.getAttribute("data-kodiak-state"), is("failed"));
        assertThat(severeConsoleMessages(browser), is(empty()));
    }

    /**
     * The page decodes every fixture to PIL's pixels: GIFs, BMPs and the PNGs a browser would
     * get wrong by the JVM's decoders compiled by TeaVM, WebPs by the browser's libwebp read
     * back through WebGL (no premultiplication), the rest by the browser with colour management
     * and premultiplication off. Every fixture, lossy WebP with alpha included (the browser's
     * libwebp is PIL's); one exception, measured: Chromium's YCCK JPEGs (Adobe CMYK saved as
     * YCC) differ from PIL's by at most 1 (mean 0.49).
     */
    @Test
    void thePageDecodesImagesToPilsPixels() {
        openWidgets();
        List<String> different = new ArrayList<>();
        for (Fixtures.Image image : Fixtures.decodable()) {
            if (!image.has(ColorMode.RGB)) {
                continue;
            }
            Object result = browser.executeAsyncScript("var done = arguments[1];"
                    + "Promise.all([import('/assets/kodiak/kodiak-engine.js'),"
                    + " fetch('/kodiak-test/images/' + arguments[0]).then(r => r.blob())])"
                    + ".then(function(all) { all[0].decode(all[1], function(rgb, w, h, error) {"
                    + "  if (error) { done('ERROR ' + error); return; }"
                    + "  var text = ''; for (var i = 0; i < rgb.length; i++) {"
                    + "   text += String.fromCharCode(rgb[i]); }"
                    + "  done(w + 'x' + h + ' ' + btoa(text)); }); })"
                    + ".catch(function(e) { done('ERROR ' + e); });", image.name());
            var pil = image.pil(ColorMode.RGB);
            String expected = pil.width() + "x" + pil.height() + " "
                    + Base64.getEncoder().encodeToString(pil.data());
            if (!expected.equals(result)) {
                String text = String.valueOf(result);
                if (image.name().equals("jpeg-ycck.jpg") && maxDifference(pil.data(), text)
                        <= 1) {
                    continue;
                }
                String detail = text.substring(0, Math.min(60, text.length()));
                if (text.startsWith(pil.width() + "x" + pil.height() + " ")) {
                    byte[] page = Base64.getDecoder().decode(text.substring(text.indexOf(' ')
                            + 1));
                    long sum = 0;
                    int max = 0;
                    for (int i = 0; i < page.length; i++) {
                        int d = Math.abs((page[i] & 0xFF) - (pil.data()[i] & 0xFF));
                        sum += d;
                        max = Math.max(max, d);
                    }
                    detail = "mean |Δ| " + (double) sum / page.length + ", max " + max;
                }
                different.add(image.name() + " (" + detail + ")");
            }
        }
        assertThat("images the page decodes otherwise than PIL", different, is(empty()));
    }

    private static int maxDifference(byte[] expected, String result) {
        byte[] page = Base64.getDecoder().decode(result.substring(result.indexOf(' ') + 1));
        int max = page.length == expected.length ? 0 : 256;
        for (int i = 0; i < Math.min(page.length, expected.length); i++) {
            max = Math.max(max, Math.abs((page[i] & 0xFF) - (expected[i] & 0xFF)));
        }
        return max;
    }

    /**
     * Two widgets on one bundle: one download, one session, two answers. Scrolling them into
     * view loads nothing; the keyboard's focus in one is enough to load the model.
     */
    @Test
    void widgetsOnOneBundleShareOneDownload() throws Exception {
        browser.get(host.url(HOWTO_POST));
        List<WebElement> widgets = new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> {
            List<WebElement> built = d.findElements(By.cssSelector(
                    ".kodiak-classifier[data-kodiak-ready='ready']"));
            return built.size() == 2 ? built : null;
        });
        browser.executeScript("arguments[0].id = 'first'; arguments[1].id = 'second';",
                widgets.get(0), widgets.get(1));
        assertThat(widgets.get(1).getAttribute("data-kodiak-state"), is("idle"));
        browser.executeScript("arguments[0].scrollIntoView();", widgets.get(1));
        awaitFrames();
        assertThat(widgets.get(1).getAttribute("data-kodiak-state"), is("idle"));
        assertThat("fetched on scrolling", fetched(browser), not(hasItem(containsString(
                ".onnx"))));
        browser.executeScript("arguments[0].focus();", widgets.get(1).findElement(
                By.cssSelector(".kodiak-choose")));
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> "ready".equals(
                widgets.get(1).getAttribute("data-kodiak-state")));
        Path photo = Fixtures.image("png-rgb8.png").path();
        JsonObject first = answer(classify(browser, widgets.get(0), photo), "first");
        JsonObject second = answer(classify(browser, widgets.get(1), photo), "second");
        assertThat(first.getJsonArray("predictions").size(), is(5));
        assertThat(second.getJsonArray("predictions").size(), is(1));
        // the blog's precision auto: the int8 model, answering as the JVM's int8 model does
        assertThat(int8Differences(first, photo, "first widget"), is(empty()));
        assertThat(second.getJsonArray("predictions").getJsonObject(0).getString("label"),
                is(first.getJsonArray("predictions").getJsonObject(0).getString("label")));
        assertThat(fetched(browser).stream().filter(u -> u.endsWith(".onnx")).toList(),
                contains(endsWith("/assets/models/fashion-mnist/model.int8.onnx")));
        assertThat(fetched(browser), everyItem(not(containsString("/api/"))));
        assertThat(severeConsoleMessages(browser), is(empty()));
    }
}
