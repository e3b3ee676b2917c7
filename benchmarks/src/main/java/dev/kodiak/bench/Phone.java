package dev.kodiak.bench;

import dev.kodiak.testing.Chromium;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Chromium as the phone of Lighthouse's mobile profile: a 412×823 screen at 1.75
 * device pixels per CSS pixel, touch, 4× CPU slowdown and, when asked, a 150 ms, 1.6 Mbit/s link
 * (Chromium's own throttling, so a page's clock sees the real waits). Each page also records its
 * layout shifts from the start with a {@code layout-shift} PerformanceObserver.
 */
public final class Phone {
    /** 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up (Lighthouse's "slow 4G"). */
    public static final Map<String, Object> LINK = Map.of("offline", false, "latency", 150,
            "downloadThroughput", 200_000, "uploadThroughput", 93_750);

    /** Records every layout shift not caused by input, from the document's start. */
    static final String SHIFTS = "window.kodiakShifts = [];"
            + "try { new PerformanceObserver(function(list) {"
            + " list.getEntries().forEach(function(e) { if (!e.hadRecentInput) {"
            + "  window.kodiakShifts.push({value: e.value, at: e.startTime,"
            + "   sources: (e.sources || []).map(function(s) { return s.node && s.node.nodeType"
            + "    === 1 ? s.node.tagName.toLowerCase() + (s.node.className ? '.'"
            + "    + String(s.node.className).trim().replace(/\\s+/g, '.') : '') : '#text'; })"
            + " }); } }); }).observe({type: 'layout-shift', buffered: true});"
            + "} catch (e) { window.kodiakShifts = null; }";

    private Phone() {
    }

    /**
     * Starts a phone.
     *
     * @param profile a fresh profile directory
     * @param slowLink whether to throttle the network as {@link #LINK}
     * @return the driver; quit it when done
     * @throws IOException if the profile cannot be made
     */
    public static ChromeDriver start(Path profile, boolean slowLink) throws IOException {
        ChromeDriver browser = Chromium.start(profile, 412, 823);
        browser.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", 412,
                "height", 823, "deviceScaleFactor", 1.75, "mobile", true));
        browser.executeCdpCommand("Emulation.setTouchEmulationEnabled", Map.of("enabled", true,
                "maxTouchPoints", 5));
        browser.executeCdpCommand("Emulation.setCPUThrottlingRate", Map.of("rate", 4));
        if (slowLink) {
            browser.executeCdpCommand("Network.enable", Map.of());
            browser.executeCdpCommand("Network.emulateNetworkConditions", LINK);
        }
        browser.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source",
                SHIFTS));
        return browser;
    }

    /**
     * Waits until the page has loaded, its widgets (if any) have built themselves and two
     * frames have been drawn since.
     */
    public static void awaitSettled(ChromeDriver browser) {
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> "complete".equals(
                browser.executeScript("return document.readyState")) && (Boolean) browser
                .executeScript("return document.querySelectorAll('.kodiak-classifier')"
                        + ".length === document.querySelectorAll("
                        + "'.kodiak-classifier[data-kodiak-ready=\"ready\"]').length;"));
        browser.executeAsyncScript("var done = arguments[0]; document.fonts.ready.then("
                + "function() { requestAnimationFrame(function() {"
                + " requestAnimationFrame(function() { done(); }); }); });");
    }

    /**
     * The page's layout shifts so far, not caused by input: their sum (0 exactly when the
     * cumulative layout shift is 0) and what moved.
     */
    @SuppressWarnings("unchecked")
    public static Shifts shifts(ChromeDriver browser) {
        List<Map<String, Object>> list = (List<Map<String, Object>>) browser.executeScript(
                "return window.kodiakShifts;");
        if (list == null) {
            throw new IllegalStateException("this Chromium reports no layout-shift entries");
        }
        double sum = 0;
        StringBuilder what = new StringBuilder();
        for (Map<String, Object> shift : list) {
            double value = ((Number) shift.get("value")).doubleValue();
            sum += value;
            what.append(String.format(java.util.Locale.ROOT, "%.4f at %.0f ms: %s; ", value,
                    ((Number) shift.get("at")).doubleValue(), shift.get("sources")));
        }
        return new Shifts(sum, what.toString().strip());
    }

    /**
     * Layout shifts.
     *
     * @param sum their sum
     * @param description each shift, when and what moved
     */
    public record Shifts(double sum, String description) {
    }
}
