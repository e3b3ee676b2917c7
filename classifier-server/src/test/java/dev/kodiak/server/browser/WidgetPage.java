package dev.kodiak.server.browser;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.is;

import dev.kodiak.core.Classification;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.StringReader;
import dev.kodiak.core.topk.Prediction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * What the browser tests do with widgets: add them to a page, give them files, wait for the
 * {@code kodiak:answer} or {@code kodiak:error} each image ends with, and compare answers with
 * the JVM's. Shared by the static-site and the server-served blog tests, so both runtimes are
 * held to the same words and numbers.
 */
final class WidgetPage {
    /** The JVM's probabilities and the browser's may differ this much (float32 kernels). */
    static final double PROBABILITY_TOLERANCE = 1e-4;

    /** What the widget says for a file it cannot decode, in either runtime. */
    static final String NOT_AN_IMAGE = "That file isn't an image I can read. Try a JPEG or PNG "
            + "photo.";

    /** Records every widget event of the page in {@code window.kodiakEvents}. */
    static final String RECORDER = "if (!window.kodiakEvents) { window.kodiakEvents = [];"
            + " performance.setResourceTimingBufferSize(2000);"
            + " ['kodiak:answer', 'kodiak:error'].forEach(function(type) {"
            + "  document.addEventListener(type, function(e) { window.kodiakEvents.push("
            + "   {id: e.target.id, type: type, detail: e.detail}); }); }); }";

    private WidgetPage() {
    }

    /** What the widget says for an image over the pixel limit, in either runtime. */
    static String tooLarge(int width, int height) {
        return "That image is too large (" + width + "×" + height + " pixels). Try a smaller "
                + "photo.";
    }

    /** What the widget says for an image too long and thin, in either runtime. */
    static String tooThin(int width, int height) {
        return "That image is too long and thin (" + width + "×" + height + " pixels). Try "
                + "cropping it.";
    }

    /**
     * A test page with widgets, served next to the site, loading the site's own widget.
     *
     * @param widgets id and {@code data-*} attributes (without the prefix) of each widget
     * @return the HTML
     */
    static String page(Map<String, Map<String, String>> widgets) {
        StringBuilder html = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head>"
                + "<meta charset=\"utf-8\"><title>Kodiak widgets</title>"
                + "<link rel=\"icon\" href=\"data:,\">"
                + "<link rel=\"stylesheet\" href=\"/assets/kodiak/kodiak-widget.css\">"
                + "<script>" + RECORDER + "</script></head><body>\n");
        widgets.forEach((id, data) -> {
            html.append("<div class=\"kodiak-classifier\" id=\"").append(id).append('"');
            data.forEach((key, value) -> html.append(" data-").append(key).append("=\"")
                    .append(value).append('"'));
            html.append("></div>\n");
        });
        html.append("<script type=\"module\">import { main } from "
                + "\"/assets/kodiak/kodiak-widget.js\"; main([]);</script></body></html>\n");
        return html.toString();
    }

    /** Adds a widget to the open page (the page's own widget script builds it). */
    static WebElement add(ChromeDriver browser, String id, Map<String, String> data) {
        StringBuilder attributes = new StringBuilder();
        data.forEach((key, value) -> attributes.append("d.setAttribute('data-").append(key)
                .append("', ").append(Json.createValue(value).toString())
                .append(");"));
        browser.executeAsyncScript("var done = arguments[0];" + RECORDER
                + "var d = document.createElement('div'); d.className = 'kodiak-classifier';"
                + "d.id = '" + id + "';" + attributes
                + "(document.querySelector('.post-content') || document.body).appendChild(d);"
                + "import('/assets/kodiak/kodiak-widget.js').then(function(m) { m.main([]);"
                + " done(); });");
        return awaitBuilt(browser, id);
    }

    /** Waits until the widget's view is built. */
    static WebElement awaitBuilt(ChromeDriver browser, String id) {
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> !d.findElements(
                By.cssSelector("#" + id + "[data-kodiak-ready='ready']")).isEmpty());
        return browser.findElement(By.id(id));
    }

    /** Gives a widget a file through its file input, as "Choose a photo" does. */
    static void upload(WebElement widget, Path file) {
        widget.findElement(By.cssSelector("input.kodiak-file:not([capture])"))
                .sendKeys(file.toAbsolutePath().toString());
    }

    static int events(ChromeDriver browser, String id) {
        browser.executeScript(RECORDER);
        return ((Long) browser.executeScript("var id = arguments[0];"
                + " return window.kodiakEvents.filter(function(e) { return e.id === id; })"
                + ".length;", id)).intValue();
    }

    /**
     * Gives a widget a file and waits for the event it ends with.
     *
     * @return {@code {type, detail}}: the answer's detail, or the error's {@code {message}}
     */
    static JsonObject classify(ChromeDriver browser, WebElement widget, Path file) {
        String id = widget.getAttribute("id");
        int before = events(browser, id);
        upload(widget, file);
        return awaitEvent(browser, id, before);
    }

    /** Waits for the widget's event number {@code index} (0-based) and returns it. */
    static JsonObject awaitEvent(ChromeDriver browser, String id, int index) {
        try {
            new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> events(browser, id)
                    > index);
        } catch (TimeoutException e) {
            // not an AssertionError: a test collecting wrong answers must stop here
            throw new IllegalStateException("widget " + id + " gave no answer in 60 s; state: "
                    + browser.findElement(By.id(id)).getAttribute("data-kodiak-state")
                    + ", console: " + browser.manage().logs().get(LogType.BROWSER).getAll()
                    .stream().map(LogEntry::getMessage).toList(), e);
        }
        String json = (String) browser.executeScript("var id = arguments[0];"
                + " return JSON.stringify(window.kodiakEvents.filter(function(e) {"
                + " return e.id === id; })[arguments[1]]);", id, index);
        return Json.createReader(new StringReader(json)).readObject();
    }

    /** The answer's detail, or an assertion error with the message the widget showed. */
    static JsonObject answer(JsonObject event, String what) {
        if (!event.getString("type").equals("kodiak:answer")) {
            throw new AssertionError(what + ": the widget said \""
                    + event.getJsonObject("detail").getString("message") + "\"");
        }
        return event.getJsonObject("detail");
    }

    /** The error's message, or an assertion error when the widget answered. */
    static String error(JsonObject event, String what) {
        assertThat(what + " should fail, got " + event, event.getString("type"),
                is("kodiak:error"));
        return event.getJsonObject("detail").getString("message");
    }

    /**
     * The browser's answer is the JVM's: the same top-1 and every probability the answer lists
     * within {@link #PROBABILITY_TOLERANCE}.
     */
    static void assertSameAnswer(JsonObject detail, Classification jvm, String what) {
        JsonArray predictions = detail.getJsonArray("predictions");
        assertThat(what + ": top-1", predictions.getJsonObject(0)
                .getString("label"), is(jvm.top().label()));
        for (JsonValue element : predictions) {
            JsonObject p = element.asJsonObject();
            String label = p.getString("label");
            Prediction expected = jvm.predictions().stream().filter(e -> e.label().equals(label))
                    .findFirst().orElseThrow(() -> new AssertionError(what + ": the JVM does "
                    + "not rank " + label + " among its top " + jvm.predictions().size()));
            assertThat(what + ": " + label, p.getJsonNumber("probability").doubleValue(),
                    closeTo(expected.probability(), PROBABILITY_TOLERANCE));
        }
        assertThat(what + ": unsure", detail.getBoolean("unsure"), is(jvm.unsure()));
    }

    /** Console messages at SEVERE (errors), since the last read. */
    static List<String> severeConsoleMessages(ChromeDriver browser) {
        return browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage).toList();
    }

    /** Every URL the page fetched: its navigation and every resource, in order. */
    @SuppressWarnings("unchecked")
    static List<String> fetched(ChromeDriver browser) {
        return new ArrayList<>((List<String>) browser.executeScript("return performance"
                + ".getEntriesByType('navigation').concat(performance.getEntriesByType("
                + "'resource')).map(function(e) { return e.name; });"));
    }
}
