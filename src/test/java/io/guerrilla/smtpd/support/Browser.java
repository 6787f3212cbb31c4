package io.guerrilla.smtpd.support;

import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * Headless Chromium driven through Debian's chromedriver. Both binaries come from the machine
 * ({@code .ci/services.sh} installs them): Selenium Manager is never asked to download a browser,
 * and a missing browser fails under CI like any other missing service.
 */
public final class Browser implements AutoCloseable {
    /** Where screenshots go: under target/, so a reviewer can look and nothing is committed. */
    public static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private final ChromeDriver driver;

    private Browser(ChromeDriver driver) {
        this.driver = driver;
    }

    /**
     * A fresh headless browser with its own profile, a phone- or desktop-sized window, and every
     * request to a host other than loopback refused, so a page that tries to call out fails loudly
     * instead of hanging on a machine without internet.
     */
    public static Browser start(int width, int height) {
        return start(width, height, new String[0]);
    }

    /** As {@link #start(int, int)}, with more Chromium switches (e.g. {@code --log-net-log=FILE}). */
    public static Browser start(int width, int height, String... moreArguments) {
        String chromium = Requirements.tool("chromium");
        String chromedriver = Requirements.tool("chromedriver");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium);
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
                "--window-size=" + width + "," + height);
        options.addArguments(moreArguments);
        ChromeDriverService service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(new File(chromedriver))
                        .usingAnyFreePort()
                        .build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
        return new Browser(driver);
    }

    public static Browser desktop() {
        return start(1280, 900);
    }

    public static Browser phone() {
        return start(390, 844);
    }

    public ChromeDriver driver() {
        return driver;
    }

    /** Saves the current viewport as {@code target/screenshots/<name>.png} and returns the path. */
    public Path screenshot(String name) throws IOException {
        File shot = driver.getScreenshotAs(OutputType.FILE);
        Files.createDirectories(SCREENSHOTS);
        Path to = SCREENSHOTS.resolve(name + ".png");
        Files.copy(shot.toPath(), to, StandardCopyOption.REPLACE_EXISTING);
        return to;
    }

    @Override
    public void close() {
        driver.quit();
    }
}
