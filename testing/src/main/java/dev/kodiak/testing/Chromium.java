package dev.kodiak.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.logging.Level;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's headless Chromium driven by Debian's chromedriver, offline: both paths are given so
 * Selenium Manager downloads nothing, and Chromium's background networking is off. Shared by the
 * browser tests of every module (they add Selenium as a test dependency).
 */
public final class Chromium {
    private Chromium() {
    }

    /**
     * Starts a headless browser.
     *
     * @param profile a fresh profile directory
     * @param width window width
     * @param height window height
     * @return the driver; quit it when done
     * @throws IOException if the profile cannot be created
     */
    public static ChromeDriver start(Path profile, int width, int height) throws IOException {
        File driver = firstExisting("/usr/lib/chromium/chromedriver", "/usr/bin/chromedriver");
        File browser = firstExisting("/usr/lib/chromium/chromium", "/usr/bin/chromium");
        System.setProperty("webdriver.chrome.driver", driver.getPath());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browser);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-quic",
                "--no-first-run", "--disable-default-apps", "--disable-extensions",
                "--user-data-dir=" + Files.createDirectories(profile),
                "--window-size=" + width + "," + height);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        options.setExperimentalOption("prefs", Map.of("profile.default_content_settings.popups", 0));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(driver).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    private static File firstExisting(String... paths) throws IOException {
        for (String path : paths) {
            File file = new File(path);
            if (file.canExecute()) {
                return file.getCanonicalFile();
            }
        }
        throw new IllegalStateException("None of " + String.join(", ", paths) + " exists; "
                + "install Debian's chromium and chromium-driver (tools/install-debian-packages.sh)");
    }
}
