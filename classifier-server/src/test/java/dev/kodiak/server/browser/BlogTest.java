package dev.kodiak.server.browser;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.lessThan;

import dev.kodiak.core.testing.Fixtures;
import dev.kodiak.server.KodiakServer;
import dev.kodiak.server.ServerSettings;
import dev.kodiak.testing.Chromium;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The real built blog, served by the real server, in headless Chromium: the posts' widgets
 * (which run the model in the browser), and widgets in server mode, which must answer as the
 * JVM does for crop and pad models too (the server does not resize their upload again).
 */
class BlogTest {
    static final String LIVE_POST = "/2026/11/20/what-is-this-garment.html";
    static final String HOWTO_POST = "/2026/11/24/put-a-classifier-in-your-jekyll-blog.html";
    static final List<String> SERVER_MODELS = List.of("tiny-rgb", "tiny-rgb-pad",
            "tiny-gray-crop", "tiny-gray-pad");

    static KodiakServer server;
    static ChromeDriver browser;
    static Path screenshots;
    static HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Config config = Config.builder().disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.classpath("application.yaml")).build();
        StringBuilder models = new StringBuilder("fashion-mnist=models/fashion-mnist");
        SERVER_MODELS.forEach(m -> models.append(',').append(m).append("=testdata/bundles/")
                .append(m));
        ServerSettings settings = ServerSettings.read(config, Map.of("SERVER_PORT", "0",
                "KODIAK_MODELS", models.toString()), Fixtures.root());
        server = KodiakServer.start(settings, e -> {
            throw new AssertionError(e);
        });
        assertThat(server.awaitReady(Duration.ofSeconds(120)), is(true));
        Path target = Fixtures.root().resolve("classifier-server/target");
        screenshots = Files.createDirectories(target.resolve("screenshots"));
        browser = Chromium.start(target.resolve("chromium-profile"), 1280, 1000);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.stop();
        }
    }

    @BeforeEach
    void clearLogs() {
        browser.manage().logs().get(LogType.BROWSER);
    }

    static String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    /** Opens a page and waits until every widget on it is built (models load on first use). */
    static List<WebElement> open(String path) {
        browser.get(url(path));
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.until(d -> !d.findElements(By.cssSelector(".kodiak-classifier")).isEmpty()
                && d.findElements(By.cssSelector(".kodiak-classifier")).stream()
                .allMatch(w -> "ready".equals(w.getAttribute("data-kodiak-ready"))));
        return browser.findElements(By.cssSelector(".kodiak-classifier"));
    }

    /** A widget that asks this server, added to the open page. */
    static WebElement serverWidget(String id, String model, Map<String, String> more) {
        Map<String, String> data = new java.util.LinkedHashMap<>(Map.of("runtime", "server",
                "model", model, "top-k", "10"));
        data.putAll(more);
        return WidgetPage.add(browser, id, data);
    }

    static List<String> severeConsoleMessages() {
        return browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage).toList();
    }

    /** The API's own answer for a file (the server decodes the full image). */
    static String apiTop1(byte[] image) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url(
                "/api/v1/classify"))).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonObject json = Json.createReader(new StringReader(response.body())).readObject();
        return json.getJsonArray("predictions").getJsonObject(0).getString("label");
    }

    static double apiTopProbability(byte[] image) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url(
                "/api/v1/classify"))).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(),
                HttpResponse.BodyHandlers.ofString());
        return Json.createReader(new StringReader(response.body())).readObject()
                .getJsonArray("predictions").getJsonObject(0).getJsonNumber("probability")
                .doubleValue();
    }

    /** Waits for a widget's answer and returns its labels, top first. */
    static List<String> answer(WebElement widget) {
        try {
            new WebDriverWait(browser, Duration.ofSeconds(30)).until(d ->
                    !widget.findElements(By.cssSelector(".kodiak-result")).isEmpty()
                    || widget.findElement(By.cssSelector(".kodiak-error")).isDisplayed());
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("no answer in 30 s; browser console: " + browser.manage()
                    .logs().get(LogType.BROWSER).getAll().stream().map(LogEntry::getMessage)
                    .toList(), e);
        }
        return widget.findElements(By.cssSelector(".kodiak-result .kodiak-label")).stream()
                .map(WebElement::getText).toList();
    }

    static void upload(WebElement widget, Path file) {
        widget.findElement(By.cssSelector("input.kodiak-file:not([capture])"))
                .sendKeys(file.toAbsolutePath().toString());
    }

    @Test
    void livePostLoadsWithoutConsoleErrors() {
        List<WebElement> widgets = open(LIVE_POST);
        assertThat(widgets.size(), is(1));
        assertThat(browser.getTitle(), containsString("What is this garment?"));
        assertThat(widgets.get(0).findElements(By.cssSelector(".kodiak-example")).size(), is(20));
        assertThat(severeConsoleMessages(), is(empty()));
    }

    @Test
    void uploadedPhotoGetsTheApisAnswer() throws Exception {
        for (String name : List.of("png-rgb8.png", "jpeg-exif-6.jpg", "png-gray16.png",
                "jpeg-cmyk.jpg", "jpeg-icc-p3.jpg", "webp-lossy.webp", "gif-palette.gif")) {
            WebElement widget = open(LIVE_POST).get(0);
            Fixtures.Image image = Fixtures.image(name);
            upload(widget, image.path());
            List<String> labels = answer(widget);
            assertThat(name, labels.size(), is(3));
            assertThat(name, labels.get(0), is(apiTop1(image.bytes())));
            assertThat(widget.findElement(By.cssSelector(".kodiak-live")).getText(),
                    containsString("Top answer: " + labels.get(0)));
            assertThat(widget.findElement(By.cssSelector(".kodiak-status")).getText(),
                    containsString("Answered in"));
            assertThat(widget.findElement(By.cssSelector(".kodiak-preview")).isDisplayed(),
                    is(true));
        }
        assertThat(severeConsoleMessages(), is(empty()));
    }

    @Test
    void clickingAnExampleClassifiesIt() throws Exception {
        WebElement widget = open(LIVE_POST).get(0);
        WebElement example = widget.findElements(By.cssSelector(".kodiak-example")).get(7);
        String src = example.findElement(By.tagName("img")).getAttribute("src");
        example.click();
        List<String> labels = answer(widget);
        byte[] png = http.send(HttpRequest.newBuilder(URI.create(src)).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body();
        assertThat(labels.get(0), is(apiTop1(png)));
        assertThat(severeConsoleMessages(), is(empty()));
    }

    @Test
    void dropAndPasteWork() throws Exception {
        Fixtures.Image image = Fixtures.image("png-rgb8.png");
        String expected = apiTop1(image.bytes());
        for (String how : List.of("drop", "paste")) {
            WebElement widget = open(LIVE_POST).get(0);
            browser.executeAsyncScript("var done = arguments[2], raw = atob(arguments[0]);"
                    + "var bytes = new Uint8Array(raw.length);"
                    + "for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }"
                    + "var transfer = new DataTransfer();"
                    + "transfer.items.add(new File([bytes], 'photo.png', {type: 'image/png'}));"
                    + "var root = document.querySelector('.kodiak-classifier');"
                    + "if (arguments[1] === 'drop') {"
                    + "  root.querySelector('.kodiak-drop').dispatchEvent(new DragEvent('drop',"
                    + "    {dataTransfer: transfer, bubbles: true, cancelable: true}));"
                    + "} else {"
                    + "  root.querySelector('.kodiak-drop').dispatchEvent(new ClipboardEvent("
                    + "    'paste', {clipboardData: transfer, bubbles: true, cancelable: true}));"
                    + "}"
                    + "done();", java.util.Base64.getEncoder().encodeToString(image.bytes()), how);
            List<String> labels = answer(widget);
            assertThat(how, labels.isEmpty(), is(false));
            assertThat(how, labels.get(0), is(expected));
        }
    }

    @Test
    void theKeyboardAloneCanClassify() throws Exception {
        WebElement widget = open(LIVE_POST).get(0);
        // the buttons are the controls: the drop zone around them is no control of its own
        WebElement drop = widget.findElement(By.cssSelector(".kodiak-drop"));
        assertThat(drop.getAttribute("tabindex"), is(nullValue()));
        assertThat(drop.getAttribute("role"), is(nullValue()));
        assertThat(drop.findElement(By.cssSelector(".kodiak-choose")).getTagName(),
                is("button"));
        WebElement example = widget.findElements(By.cssSelector(".kodiak-example")).get(3);
        assertThat(example.getAttribute("aria-label"), containsString("Classify example: "));
        example.sendKeys(org.openqa.selenium.Keys.ENTER);
        List<String> labels = answer(widget);
        assertThat(labels.size(), is(3));
        assertThat(widget.findElement(By.cssSelector(".kodiak-live")).getAttribute("aria-live"),
                is("polite"));
        assertThat(widget.findElement(By.cssSelector(".kodiak-error")).getAttribute("role"),
                is("alert"));
    }

    /** The live post asks for 60% before it commits to an answer. */
    @Test
    void aWeakAnswerSaysItIsNotSure() throws Exception {
        List<Path> candidates = new java.util.ArrayList<>();
        Fixtures.decodable().forEach(image -> candidates.add(image.path()));
        Path examples = Fixtures.root().resolve("site/assets/kodiak/examples/fashion-mnist");
        try (var files = Files.list(examples)) {
            candidates.addAll(files.sorted().toList());
        }
        candidates.add(blend(candidates.get(candidates.size() - 1),
                candidates.get(candidates.size() - 2)));
        Path weakest = null;
        double lowest = 1;
        for (Path candidate : candidates) {
            double top = apiTopProbability(Files.readAllBytes(candidate));
            if (top < lowest) {
                lowest = top;
                weakest = candidate;
            }
        }
        assertThat("some image should leave the model unsure (lowest top: " + lowest + ")",
                lowest < 0.6, is(true));
        WebElement widget = open(LIVE_POST).get(0);
        upload(widget, weakest);
        answer(widget);
        WebElement unsure = widget.findElement(By.cssSelector(".kodiak-unsure"));
        assertThat(unsure.isDisplayed(), is(true));
        assertThat(unsure.getText(), is("I'm not sure this is one of: T-shirt/top, Trouser, "
                + "Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot."));

        upload(widget, Fixtures.image("png-gray8.png").path()); // 97.5% Bag
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> !unsure.isDisplayed()
                && !widget.findElements(By.cssSelector(".kodiak-result")).isEmpty());
    }

    /** Two images averaged: a garment that is neither. */
    static Path blend(Path a, Path b) throws Exception {
        java.awt.image.BufferedImage x = javax.imageio.ImageIO.read(a.toFile());
        java.awt.image.BufferedImage y = javax.imageio.ImageIO.read(b.toFile());
        java.awt.image.BufferedImage mix = new java.awt.image.BufferedImage(x.getWidth(),
                x.getHeight(), java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        for (int j = 0; j < x.getHeight(); j++) {
            for (int i = 0; i < x.getWidth(); i++) {
                int v = (x.getRaster().getSample(i, j, 0) + y.getRaster().getSample(i, j, 0)) / 2;
                mix.getRaster().setSample(i, j, 0, v);
            }
        }
        Path out = screenshots.resolveSibling("blend.png");
        javax.imageio.ImageIO.write(mix, "png", out.toFile());
        return out;
    }

    /**
     * In server mode, a 12-megapixel photo is shrunk on the device: a few hundred bytes go up,
     * same answer.
     */
    @Test
    void aTwelveMegapixelPhotoUploadsAsAFewKilobytes() throws Exception {
        java.awt.image.BufferedImage source = javax.imageio.ImageIO.read(
                Fixtures.image("jpeg-baseline.jpg").path().toFile());
        java.awt.image.BufferedImage big = new java.awt.image.BufferedImage(4000, 3000,
                java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
        java.awt.Graphics2D g = big.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION,
                java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(source, 0, 0, 4000, 3000, null);
        g.dispose();
        Path photo = screenshots.resolveSibling("photo-12mp.jpg");
        javax.imageio.ImageIO.write(big, "jpeg", photo.toFile());
        long size = Files.size(photo);

        open(LIVE_POST);
        WebElement widget = serverWidget("big", "fashion-mnist", Map.of());
        upload(widget, photo);
        List<String> labels = answer(widget);
        assertThat(labels.get(0), is(apiTop1(Files.readAllBytes(photo))));
        long uploaded = Long.parseLong(widget.getAttribute("data-kodiak-upload-bytes"));
        assertThat("uploaded " + uploaded + " of " + size + " bytes", uploaded < 4096, is(true));
    }

    @Test
    void aFileThatIsNoImageShowsAPlainMessage() {
        WebElement widget = open(LIVE_POST).get(0);
        upload(widget, Fixtures.image("html-renamed.jpg").path());
        assertThat(answer(widget), is(empty()));
        WebElement error = widget.findElement(By.cssSelector(".kodiak-error"));
        assertThat(error.isDisplayed(), is(true));
        assertThat(error.getText(), containsString("isn't an image I can read"));
    }

    @Test
    void anUnreachableServerIsSaidInPlainWords() {
        open(LIVE_POST);
        WebElement widget = serverWidget("offline", "fashion-mnist",
                Map.of("endpoint", "http://127.0.0.1:9"));
        String message = WidgetPage.error(WidgetPage.classify(browser, widget,
                Fixtures.image("png-rgb8.png").path()), "offline");
        assertThat(message, containsString("Can't reach the classifier at http://127.0.0.1:9"));
        assertThat(widget.findElement(By.cssSelector(".kodiak-error")).getText(), is(message));
    }

    /**
     * Server mode with crop and pad models: the widget resizes with the model's spec and sends
     * {@code prepared=model}, so the server answers as the JVM does for the original photo.
     */
    @Test
    void serverModeAnswersAsTheJvmForCropAndPadModels() throws Exception {
        open(LIVE_POST);
        List<String> failures = new java.util.ArrayList<>();
        for (String model : SERVER_MODELS) {
            WebElement widget = serverWidget("s-" + model, model, Map.of());
            try (dev.kodiak.core.Classifier jvm = dev.kodiak.core.Classifier.open(
                    Fixtures.bundle(model))) {
                for (String photo : List.of("jpeg-exif-6.jpg", "png-rgba-half.png",
                        "png-gray16.png", "png-rgb8.png")) {
                    Path file = Fixtures.image(photo).path();
                    String what = model + " / " + photo;
                    try {
                        JsonObject detail = WidgetPage.answer(
                                WidgetPage.classify(browser, widget, file), what);
                        assertThat(what, detail.getString("runtime"), is("server"));
                        WidgetPage.assertSameAnswer(detail, jvm.classify(Files.readAllBytes(
                                file), new dev.kodiak.core.topk.TopKOptions(10, 0f,
                                java.util.Set.of())), what);
                    } catch (AssertionError e) {
                        failures.add(e.getMessage());
                    }
                }
            }
            assertThat(widget.getAttribute("data-kodiak-runtime"), is("server"));
        }
        assertThat("server-mode answers that differ from the JVM's", failures, is(empty()));
        assertThat(severeConsoleMessages(), is(empty()));
    }

    /** The messages StaticSiteTest checks in browser mode, word for word in server mode. */
    @Test
    void serverModeSaysTheSameWords() {
        open(LIVE_POST);
        WebElement widget = serverWidget("words", "fashion-mnist", Map.of());
        Map<String, String> expected = Map.of(
                "html-renamed.jpg", WidgetPage.NOT_AN_IMAGE,
                "text-renamed.png", WidgetPage.NOT_AN_IMAGE,
                "bomb-65000.png", WidgetPage.tooLarge(65000, 65000),
                "strip-1x5000000.png", WidgetPage.tooThin(1, 5000000));
        expected.forEach((name, message) -> assertThat(name, WidgetPage.error(
                WidgetPage.classify(browser, widget, Fixtures.image(name).path()), name),
                is(message)));
    }

    /**
     * {@code auto}: a bundle whose model fails its sha256 check is not used; the widget asks the
     * server instead. A good bundle on the same other origin runs in the browser, unless its
     * model is larger than {@code data-max-download-mb}.
     */
    @Test
    void autoFallsBackToTheServerWhenTheBundleFailsItsChecksOrIsTooLarge(@org.junit.jupiter.api.io.TempDir
            Path temp) throws Exception {
        for (String name : List.of("good", "broken")) {
            Path bundle = Files.createDirectories(temp.resolve(name));
            Files.copy(Fixtures.defaultBundle().resolve("kodiak.json"),
                    bundle.resolve("kodiak.json"));
            byte[] onnx = Files.readAllBytes(Fixtures.defaultBundle().resolve("model.onnx"));
            if (name.equals("broken")) {
                onnx[onnx.length - 100] ^= 0x55;
            }
            Files.write(bundle.resolve("model.onnx"), onnx);
        }
        try (dev.kodiak.core.testing.StaticFiles other = dev.kodiak.core.testing.StaticFiles
                .start(Map.of("/", temp), false, true)) {
            open(LIVE_POST);
            Path photo = Fixtures.image("png-gray8.png").path();
            WebElement broken = WidgetPage.add(browser, "auto-broken", Map.of("runtime", "auto",
                    "bundle", other.url("/broken/"), "model", "fashion-mnist"));
            JsonObject detail = WidgetPage.answer(WidgetPage.classify(browser,
                    broken, photo), "auto with a broken bundle");
            assertThat(detail.getString("runtime"), is("server"));
            assertThat(broken.getAttribute("data-kodiak-runtime"), is("server"));
            assertThat(broken.getAttribute("data-kodiak-fallback"), containsString("sha256"));
            assertThat(detail.getJsonArray("predictions").getJsonObject(0)
                    .getString("label"), is(apiTop1(Files.readAllBytes(photo))));

            WebElement good = WidgetPage.add(browser, "auto-good", Map.of("runtime", "auto",
                    "bundle", other.url("/good/"), "model", "fashion-mnist"));
            detail = WidgetPage.answer(WidgetPage.classify(browser, good, photo),
                    "auto with a good bundle");
            assertThat(detail.getString("runtime"), is("browser"));
            assertThat(good.getAttribute("data-kodiak-fallback"), is(org.hamcrest.Matchers
                    .nullValue()));

            // the same good bundle over the widget's download limit (the model is 1.7 MB)
            WebElement big = WidgetPage.add(browser, "auto-over-limit", Map.of("runtime", "auto",
                    "bundle", other.url("/good/"), "model", "fashion-mnist",
                    "max-download-mb", "1"));
            detail = WidgetPage.answer(WidgetPage.classify(browser, big, photo),
                    "auto with a model over data-max-download-mb");
            assertThat(detail.getString("runtime"), is("server"));
            assertThat(big.getAttribute("data-kodiak-fallback"), containsString("model.onnx is"));
            assertThat(detail.getJsonArray("predictions").getJsonObject(0)
                    .getString("label"), is(apiTop1(Files.readAllBytes(photo))));
        }
    }

    @Test
    void twoWidgetsOnOnePageDoNotInterfere() throws Exception {
        List<WebElement> widgets = open(HOWTO_POST);
        assertThat(widgets.size(), is(2));
        upload(widgets.get(0), Fixtures.image("png-rgb8.png").path());
        assertThat(answer(widgets.get(0)).size(), is(5));
        assertThat(widgets.get(1).findElements(By.cssSelector(".kodiak-result")), is(empty()));
        upload(widgets.get(1), Fixtures.image("jpeg-gray.jpg").path());
        List<String> second = answer(widgets.get(1));
        assertThat(second.size(), is(1));
        assertThat(second.get(0), is(apiTop1(Fixtures.image("jpeg-gray.jpg").bytes())));
        assertThat("the first widget still shows its own answer",
                answer(widgets.get(0)).get(0), is(apiTop1(Fixtures.image("png-rgb8.png")
                        .bytes())));
        assertThat(severeConsoleMessages(), is(empty()));
    }

    /**
     * The widget's resize step is classifier-core's Java compiled by TeaVM: for every
     * preprocessing fixture it gives the browser exactly the bytes the JVM gives.
     */
    @Test
    void teavmCompiledPreprocessingGivesTheJvmsBytes() {
        open(LIVE_POST);
        List<String> different = new java.util.ArrayList<>();
        for (Fixtures.PreprocessCase c : Fixtures.preprocessCaseList()) {
            String file = c.image();
            Fixtures.Image image = Fixtures.image(file.substring(file.lastIndexOf('/') + 1));
            dev.kodiak.core.preprocess.Pixels rgb = image.pil(
                    dev.kodiak.core.preprocess.ColorMode.RGB);
            byte[] rgba = new byte[rgb.width() * rgb.height() * 4];
            byte[] data = rgb.data();
            for (int i = 0; i < rgb.width() * rgb.height(); i++) {
                System.arraycopy(data, i * 3, rgba, i * 4, 3);
                rgba[i * 4 + 3] = (byte) 255;
            }
            String spec = c.specJson();
            dev.kodiak.core.preprocess.InputSpec parsed =
                    dev.kodiak.core.bundle.ManifestParser.parseInputSpec(spec);
            byte[] jvm = new dev.kodiak.core.preprocess.Preprocessor(parsed).resize(
                    dev.kodiak.core.preprocess.Pixels.fromRgba(rgb.width(), rgb.height(), rgba,
                            parsed.color())).data();
            Object browserBytes = browser.executeAsyncScript(
                    "var done = arguments[4], width = arguments[1], height = arguments[2];"
                    + "var spec = arguments[3], raw = atob(arguments[0]);"
                    + "var rgba = new Uint8Array(raw.length);"
                    + "for (var i = 0; i < raw.length; i++) { rgba[i] = raw.charCodeAt(i); }"
                    + "import('/assets/kodiak/kodiak-engine.js').then(function(widget) {"
                    + "  var out = widget.resize(rgba, width, height, spec), text = '';"
                    + "  for (var j = 0; j < out.length; j++) { text += String.fromCharCode(out[j]); }"
                    + "  done(btoa(text));"
                    + "}).catch(function(e) { done('ERROR ' + e); });",
                    java.util.Base64.getEncoder().encodeToString(rgba), rgb.width(), rgb.height(),
                    spec);
            String expected = java.util.Base64.getEncoder().encodeToString(jvm);
            if (!expected.equals(browserBytes)) {
                different.add(c.id() + " (" + String.valueOf(browserBytes)
                        .substring(0, Math.min(40, String.valueOf(browserBytes).length())) + ")");
            }
        }
        assertThat("cases where the browser's bytes differ from the JVM's", different,
                is(empty()));
        assertThat(Fixtures.preprocessCaseList().size() >= 30, is(true));
    }

    /** The widget reads a model's input spec by core's code: a bad spec fails as on the JVM. */
    @Test
    void theBrowserNamesTheSameSpecProblemsAsTheJvm() {
        open(LIVE_POST);
        String spec = "{\"width\": 2.5, \"color\": \"RGB\", \"resize\": \"squish\","
                + " \"interpolation\": \"cubic\", \"invert\": \"yes\", \"mean\": [0, \"a\", 0],"
                + " \"std\": 1}";
        IllegalArgumentException jvm = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> dev.kodiak.core.bundle.ManifestParser.parseInputSpec(spec));
        Object browserError = browser.executeAsyncScript(
                "var spec = arguments[0], done = arguments[1];"
                + "import('/assets/kodiak/kodiak-engine.js').then(function(widget) {"
                + "  try { widget.resize(new Uint8Array(4), 1, 1, spec); done('no error'); }"
                + "  catch (e) { done(String(e && e.message !== undefined ? e.message : e)); }"
                + "}).catch(function(e) { done('ERROR ' + e); });",
                spec);
        String problems = jvm.getMessage().replace("Invalid input spec: ", "");
        assertThat(problems, containsString("input.width must be a whole number"));
        assertThat(String.valueOf(browserError), containsString(problems));
    }

    @Test
    void screenshotsAtDesktopAndPhoneWidth() throws Exception {
        for (int width : new int[] {1280, 360}) {
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(width, 900));
            WebElement widget = open(LIVE_POST).get(0);
            widget.findElements(By.cssSelector(".kodiak-example")).get(0).click();
            answer(widget);
            long overflow = (Long) browser.executeScript("return document.documentElement"
                    + ".scrollWidth - document.documentElement.clientWidth;");
            assertThat("no horizontal scrolling at " + width + " px", overflow, lessThan(1L));
            browser.executeScript("arguments[0].scrollIntoView()", widget);
            Files.write(screenshots.resolve("live-post-" + width + ".png"),
                    browser.getScreenshotAs(OutputType.BYTES));
        }
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1000));
    }
}
