package io.guerrilla.smtpd.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.guerrilla.smtpd.support.Browser;
import io.guerrilla.smtpd.support.MailApi;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.Requirements;
import io.guerrilla.smtpd.support.ServerProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The inbox page of the packaged server in headless Chromium, asserting what a person sees: the address,
 * mail sent over SMTP appearing without a reload, subjects and text in every common encoding, hostile
 * HTML that runs nothing and loads nothing until "show images", attachments downloaded byte for byte,
 * delete, choose, extend, forget, a phone-width screen, a 5 MB body; and nothing requested from any
 * host but this machine (Chromium's own network log is read for that, frames included).
 */
class WebInboxIT {
    private static final String TITLE = "Inbox · guerrillad";
    /** The watched listener's requests: stands in for the internet a hostile mail would call. */
    private static final List<String> watched = new CopyOnWriteArrayList<>();
    private static final Duration APPEARS_WITHIN = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** A 1x1 transparent PNG. */
    private static final byte[] PIXEL = Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    /** What the watched listener serves at /attack: another site's page, in the reader's browser. */
    private static volatile String attackPage = "";

    @TempDir
    static Path dir;
    static ServerProcess server;
    static HttpServer watcher;
    static int smtp;
    static int http;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        Requirements.tool("chromium");
        Requirements.tool("chromedriver");
        watcher = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        watcher.createContext("/attack", ex -> {
            byte[] page = attackPage.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
            ex.sendResponseHeaders(200, page.length);
            ex.getResponseBody().write(page);
            ex.close();
        });
        watcher.createContext("/", ex -> {
            watched.add(ex.getRequestURI().getPath());
            ex.getResponseHeaders().add("Content-Type", "image/png");
            ex.sendResponseHeaders(200, PIXEL.length);
            ex.getResponseBody().write(PIXEL);
            ex.close();
        });
        watcher.start();
        smtp = Ports.free();
        http = Ports.free();
        base = "http://127.0.0.1:" + http;
        Files.writeString(dir.resolve("g.yaml"), """
                listen_interface: 127.0.0.1:%d
                host_name: mx.it.test
                allowed_hosts: [example.com, example.net]
                store:
                  path: %s
                http:
                  listen: 127.0.0.1:%d
                  allowed_origins: ["http://allowed.test:8080"]
                """.formatted(smtp, dir.resolve("mail.db"), http));
        server = ServerProcess.startWithHttp(dir, http, "serve", "-c", "g.yaml");
        server.awaitLog("serving, pid");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (watcher != null) {
            watcher.stop(0);
        }
    }

    /** A browser that writes every request it makes, in any process or frame, to a network log. */
    private record Session(Browser browser, Path netLog) implements AutoCloseable {
        static Session open(String name, int width, int height) {
            Path log = dir.resolve(name + "-netlog.json");
            // Chromium's autofill asks Google about every page with a form field: the browser's call, not the page's.
            return new Session(Browser.start(width, height, "--log-net-log=" + log,
                    "--disable-features=AutofillServerCommunication"), log);
        }

        ChromeDriver driver() {
            return browser.driver();
        }

        /** Opens the inbox page and returns the address it shows once it has one. */
        String inbox() {
            browser.driver().get(base + "/");
            return shownAddress(browser.driver());
        }

        @Override
        public void close() throws Exception {
            browser.close();
            assertOnlyLoopback(netLog);
        }
    }

    /**
     * Every request the page caused (its own, its frames', and any it could open) went to this machine.
     * Chromium's own background calls (component updates, time) carry no page: they are told apart by
     * having no initiating origin and no network isolation key of the page's site.
     */
    static void assertOnlyLoopback(Path netLog) throws Exception {
        JsonNode log = new ObjectMapper().readTree(netLog.toFile());
        int startJob = log.get("constants").get("logEventTypes").get("URL_REQUEST_START_JOB").asInt();
        List<String> byPage = new ArrayList<>();
        for (JsonNode e : log.get("events")) {
            JsonNode p = e.get("params");
            if (e.get("type").asInt() != startJob || p == null || p.get("url") == null) {
                continue;
            }
            String initiator = p.path("initiator").asText("not an origin");
            String isolation = p.path("network_isolation_key").asText("");
            if (!initiator.equals("not an origin") || isolation.startsWith("http://127.0.0.1")) {
                byPage.add(p.get("url").asText());
            }
        }
        assertThat(byPage).as("requests the page caused").anyMatch(u -> u.contains("/ajax.php"));
        assertThat(byPage).allSatisfy(u -> assertThat(URI.create(u).getHost()).as(u).isIn("127.0.0.1", "localhost"));
    }

    @Test
    void liveMailInEveryEncodingAttachmentsDeleteAndSource() throws Exception {
        try (Session s = Session.open("live", 1100, 760)) {
            ChromeDriver d = s.driver();
            String address = s.inbox();
            assertThat(address).matches("[a-z0-9]{10}@example\\.com");
            assertThat(d.getTitle()).isEqualTo(TITLE);
            js(d, "window.__sameDocument = 42");

            // Copy puts the address on the clipboard.
            d.executeCdpCommand("Browser.grantPermissions", Map.of("origin", base,
                    "permissions", List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
            d.findElement(By.id("copy")).click();
            new WebDriverWait(d, WAIT).until(x -> text(x, "status").equals("Address copied."));
            assertThat(d.executeAsyncScript("navigator.clipboard.readText().then(arguments[0], e => arguments[0]('' + e))"))
                    .isEqualTo(address);

            // The empty state's swaks line names this address and the SMTP port, and works as written.
            WebElement swaks = waitFor(d, By.id("swaks"));
            assertThat(swaks.getText()).contains("--to " + address, "--server 127.0.0.1", "--port " + smtp);
            Process p = new ProcessBuilder("bash", "-c", swaks.getText() + " >/dev/null 2>&1").start();
            assertThat(p.waitFor()).as("the page's swaks line delivers").isZero();
            assertThat(itemSubjects(d, 1)).containsExactly("Hello");

            // Mail appears without a reload, in every encoding, newest first.
            deliver(address, """
                    From: Zoë Ångström <zoe@example.org>
                    Subject: Grüße aus Köln ☕ Καλημέρα
                    Content-Type: text/plain; charset=utf-8
                    Content-Transfer-Encoding: 8bit

                    Schöne Grüße — ünïcödé text
                    """, StandardCharsets.UTF_8);
            new WebDriverWait(d, APPEARS_WITHIN).until(x -> itemSubjects(x).contains("Grüße aus Köln ☕ Καλημέρα"));
            deliver(address, """
                    From: =?ISO-8859-1?Q?Andr=E9_M=FCller?= <andre@example.org>
                    Subject: =?UTF-8?B?0J/RgNC40LLQtdGCLCDQvNC40YA=?= =?UTF-8?Q?_caf=C3=A9?=
                    Content-Type: text/plain; charset=utf-8
                    Content-Transfer-Encoding: quoted-printable

                    Caf=C3=A9 cr=C3=A8me, quoted-printable
                    """, StandardCharsets.US_ASCII);
            new WebDriverWait(d, APPEARS_WITHIN).until(x -> itemSubjects(x).contains("Привет, мир café"));
            deliver(address, """
                    From: "Jos\u00e9" <jose@example.org>
                    Subject: =?iso-8859-1?q?D=E9j=E0_vu?=
                    Content-Type: text/plain; charset=iso-8859-1
                    Content-Transfer-Encoding: 8bit

                    Déjà vu, façade, naïve in Latin-1
                    """, StandardCharsets.ISO_8859_1);
            new WebDriverWait(d, APPEARS_WITHIN).until(x -> itemSubjects(x).contains("Déjà vu"));
            assertThat(itemSubjects(d)).containsExactly("Déjà vu", "Привет, мир café", "Grüße aus Köln ☕ Καλημέρα", "Hello");
            assertThat(d.findElements(By.cssSelector(".item.unread"))).hasSize(4);
            assertThat(d.findElements(By.cssSelector(".item .excerpt")).get(0).getText()).isEqualTo("Déjà vu, façade, naïve in Latin-1");

            open(d, "Grüße aus Köln ☕ Καλημέρα");
            assertThat(text(d, "m-text")).isEqualTo("Schöne Grüße — ünïcödé text\n");
            assertThat(text(d, "m-from")).isEqualTo("Zoë Ångström <zoe@example.org>");
            assertThat(text(d, "m-to")).isEqualTo(address);
            open(d, "Привет, мир café");
            assertThat(text(d, "m-text")).isEqualTo("Café crème, quoted-printable\n");
            assertThat(text(d, "m-from")).contains("André Müller");
            open(d, "Déjà vu");
            assertThat(text(d, "m-text")).isEqualTo("Déjà vu, façade, naïve in Latin-1\n");
            assertThat(d.findElements(By.cssSelector(".item.unread"))).as("opened ones are read").hasSize(1);
            d.switchTo().activeElement().sendKeys(Keys.ESCAPE);
            new WebDriverWait(d, WAIT).until(ExpectedConditions.invisibilityOfElementLocated(By.id("message-pane")));
            s.browser().screenshot("inbox");

            // HTML mail is shown in the sandboxed frame, the text part beside it.
            deliver(address, """
                    From: Shop <orders@shop.example>
                    Subject: Your order has shipped
                    Content-Type: multipart/alternative; boundary=alt

                    --alt
                    Content-Type: text/plain; charset=utf-8

                    Order 1042 has shipped.
                    --alt
                    Content-Type: text/html; charset=utf-8

                    <h1 style="color:#1d5fd1">Your order has shipped</h1><p>Order <b>1042</b> is on its way.</p>
                    <table border="1" cellpadding="6"><tr><th>Item</th><th>Qty</th></tr><tr><td>Tea, green</td><td>2</td></tr></table>
                    --alt--
                    """, StandardCharsets.UTF_8);
            new WebDriverWait(d, APPEARS_WITHIN).until(x -> itemSubjects(x).contains("Your order has shipped"));
            open(d, "Your order has shipped");
            assertThat(text(d, "m-text")).isEqualTo("Order 1042 has shipped.");
            d.switchTo().frame(d.findElement(By.id("m-html")));
            new WebDriverWait(d, WAIT).until(x -> x.findElement(By.tagName("body")).getText().contains("Tea, green"));
            d.switchTo().defaultContent();
            s.browser().screenshot("message");

            // An attachment, downloaded by the browser byte for byte; the list marks it.
            byte[] payload = new byte[150_000];
            new Random(14).nextBytes(payload);
            deliver(address, "From: files@example.org\nSubject: with a file\nContent-Type: multipart/mixed; boundary=b\n\n"
                    + "--b\nContent-Type: text/plain\n\nsee the file\n--b\nContent-Type: application/octet-stream\n"
                    + "Content-Disposition: attachment; filename=\"data 1.bin\"\nContent-Transfer-Encoding: base64\n\n"
                    + Base64.getMimeEncoder().encodeToString(payload) + "\n--b--\n", StandardCharsets.US_ASCII);
            new WebDriverWait(d, APPEARS_WITHIN).until(x -> itemSubjects(x).contains("with a file"));
            assertThat(d.findElements(By.cssSelector(".item svg.att"))).hasSize(1);
            open(d, "with a file");
            Path downloads = Files.createDirectories(dir.resolve("downloads"));
            d.executeCdpCommand("Browser.setDownloadBehavior", Map.of("behavior", "allow", "downloadPath", downloads.toString()));
            WebElement link = d.findElement(By.cssSelector("#m-attachments a"));
            assertThat(link.getText()).contains("data 1.bin", "146.5 KiB");
            link.click();
            Path file = downloads.resolve("data 1.bin");
            new WebDriverWait(d, WAIT).until(x -> Files.exists(file) && sameBytes(file, payload));

            // View source: the raw message as text.
            d.findElement(By.id("view-source")).click();
            new WebDriverWait(d, WAIT).until(x -> text(x, "m-source").contains("Subject: with a file"));
            assertThat(text(d, "m-source")).contains("Received: ", "Content-Disposition: attachment");

            // Delete: gone from the list and from the server.
            String id = d.findElement(By.cssSelector(".item[aria-current=true]")).getAttribute("data-id");
            d.findElement(By.id("delete")).click();
            new WebDriverWait(d, WAIT).until(x -> !itemSubjects(x).contains("with a file"));
            assertThat(new MailApi(base).get(MailApi.mailbox(address) + "/messages/" + id).status()).isEqualTo(404);
            assertThat(itemSubjects(d)).hasSize(5);

            // Keyboard: Tab reaches the list, Enter opens, Escape goes back to the item.
            WebElement first = d.findElements(By.cssSelector(".item")).get(0);
            first.sendKeys(Keys.ENTER);
            new WebDriverWait(d, WAIT).until(x -> "Your order has shipped".equals(text(x, "m-subject")));
            d.switchTo().activeElement().sendKeys(Keys.ESCAPE);
            new WebDriverWait(d, WAIT).until(ExpectedConditions.invisibilityOfElementLocated(By.id("message-pane")));

            assertThat(js(d, "return window.__sameDocument")).as("the page never navigated").isEqualTo(42L);
            assertThat(d.getCurrentUrl()).isEqualTo(base + "/");
        }
    }

    @Test
    void hostileHtmlRunsNothingAndLoadsNothingUntilShowImages() throws Exception {
        String w = "http://127.0.0.1:" + watcher.getAddress().getPort();
        try (Session s = Session.open("hostile", 1100, 760)) {
            ChromeDriver d = s.driver();
            String address = s.inbox();
            js(d, "window.__sameDocument = 42");
            watched.clear();
            deliver(address, ("""
                    From: attacker@example.org
                    Subject: hostile html
                    Content-Type: text/html; charset=utf-8

                    <html><head><meta http-equiv="refresh" content="0;url=W/refresh"><base href="W/base/">
                    <script>top.document.title='pwned';parent.document.title='pwned';fetch('W/script-fetch')</script>
                    <link rel="stylesheet" href="W/link.css">
                    <style>@import url(W/import.css); body{background:url(W/bg.png)}</style></head>
                    <body onload="fetch('W/onload')">
                    <img src="W/pixel.png" alt="remote pixel">
                    <img src=x onerror="fetch('W/onerror');top.location='W/navigate'">
                    <p style="background-image:url(W/inline-bg.png)">visible text</p>
                    <iframe src="W/frame"></iframe><object data="W/object"></object><embed src="W/embed">
                    <form action="W/form"><input name=a autofocus onfocus="fetch('W/onfocus')"></form>
                    <svg onload="fetch('W/svg')"><image href="W/svg-image.png"/></svg>
                    <video poster="W/poster.png" src="W/video"></video><audio src="W/audio" autoplay></audio>
                    <a href="W/link">a link</a>
                    </body></html>
                    """).replace("W/", w + "/"), StandardCharsets.UTF_8);
            new WebDriverWait(d, APPEARS_WITHIN).until(x -> itemSubjects(x).contains("hostile html"));
            open(d, "hostile html");

            WebElement frame = d.findElement(By.id("m-html"));
            assertThat(frame.getAttribute("sandbox")).doesNotContain("allow-scripts").doesNotContain("allow-same-origin")
                    .doesNotContain("allow-top-navigation");
            d.switchTo().frame(frame);
            new WebDriverWait(d, WAIT).until(x -> x.findElement(By.tagName("body")).getText().contains("visible text"));
            assertThat(d.findElement(By.tagName("body")).getText()).contains("a link");
            // Loaded: every subresource the frame's document would fetch has been tried (or refused) by now.
            new WebDriverWait(d, WAIT).until(x -> "complete".equals(js(x, "return document.readyState")));
            d.switchTo().defaultContent();
            assertThat(watched).as("nothing loaded before show images").isEmpty();
            assertThat(d.getTitle()).isEqualTo(TITLE);

            d.findElement(By.id("show-images")).click();
            new WebDriverWait(d, WAIT).until(x -> watched.contains("/pixel.png"));
            d.switchTo().frame(d.findElement(By.id("m-html")));
            new WebDriverWait(d, WAIT).until(x -> (Boolean) ((JavascriptExecutor) x).executeScript(
                    "const i = document.querySelector('img'); return i !== null && i.complete && i.naturalWidth === 1"));
            d.switchTo().defaultContent();
            assertThat(watched).as("after show images: the image only").containsOnly("/pixel.png");
            assertThat(d.getTitle()).isEqualTo(TITLE);
            assertThat(js(d, "return window.__sameDocument")).as("the page never navigated").isEqualTo(42L);
            assertThat(d.getCurrentUrl()).isEqualTo(base + "/");
        }
    }

    /** Part 1's hostile corpus (all but its 20 MB attachment), each message opened in the page. */
    @Test
    void partOnesHostileCorpusRunsNothingAndBreaksNoLayout() throws Exception {
        try (Session s = Session.open("corpus", 1000, 700)) {
            ChromeDriver d = s.driver();
            String address = s.inbox();
            js(d, "window.__sameDocument = 42");
            Map<String, byte[]> corpus = new TreeMap<>(ReadingSafetyIT.hostileCorpus());
            corpus.remove("large-attachment");
            for (byte[] m : corpus.values()) {
                assertThat(MailApi.deliver(smtp, "sender@example.org", address, m)).startsWith("250");
            }
            new WebDriverWait(d, WAIT).until(x -> itemSubjects(x).size() == corpus.size());
            int manyParts = 0;
            for (int i = 0; i < corpus.size(); i++) {
                String current = "return document.querySelectorAll('.item')[" + i + "].getAttribute('aria-current')";
                d.findElements(By.cssSelector(".item")).get(i).click();
                new WebDriverWait(d, WAIT).until(x -> "true".equals(js(x, current)) && !text(x, "m-subject").isEmpty());
                assertThat(text(d, "status")).doesNotContain("Could not");
                if (d.findElement(By.id("m-html-box")).isDisplayed()) {
                    d.switchTo().frame(d.findElement(By.id("m-html")));
                    new WebDriverWait(d, WAIT).until(x -> "complete".equals(js(x, "return document.readyState")));
                    d.switchTo().defaultContent();
                }
                if (text(d, "m-subject").equals("many parts")) {
                    assertThat(d.findElements(By.cssSelector("#m-attachments a"))).hasSize(1000);
                    manyParts++;
                }
                assertThat(d.getTitle()).isEqualTo(TITLE);
                assertNoHorizontalOverflow(d);
                assertThat(js(d, "return window.__sameDocument")).as("the page never navigated").isEqualTo(42L);
            }
            assertThat(manyParts).as("the 1000-attachment message was opened").isOne();
        }
    }

    @Test
    void phoneWidthLongSubjectAndFiveMegabyteBody() throws Exception {
        try (Session s = Session.open("phone", 390, 844)) {
            ChromeDriver d = s.driver();
            // Headless Chromium keeps windows at least 500 px wide: the phone's viewport is emulated.
            d.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                    Map.of("width", 390, "height", 844, "deviceScaleFactor", 1, "mobile", true));
            String address = s.inbox();
            String subject = ("A subject that goes on and on ".repeat(4) + "an-unbroken-word-" + "x".repeat(200)).substring(0, 200);
            StringBuilder body = new StringBuilder();
            for (int i = 0; body.length() < 5 * 1024 * 1024; i++) {
                body.append("line ").append(i).append(" of a very long plain text body, with ünïcödé\n");
            }
            deliver(address, "From: big@example.org\nSubject: " + subject + "\nContent-Type: text/plain; charset=utf-8\n\n"
                    + body, StandardCharsets.UTF_8);
            new WebDriverWait(d, WAIT).until(x -> itemSubjects(x).contains(subject));
            assertThat((Long) js(d, "return window.innerWidth")).isEqualTo(390L);
            assertNoHorizontalOverflow(d);
            s.browser().screenshot("phone-inbox");

            open(d, subject);
            assertThat(d.findElement(By.id("list-pane")).isDisplayed()).as("the message takes the screen").isFalse();
            assertNoHorizontalOverflow(d);
            assertThat(text(d, "m-subject")).isEqualTo(subject);
            assertThat((Long) js(d, "return document.getElementById('m-text').textContent.length")).isEqualTo(100_000L);
            assertThat(text(d, "m-text-note")).contains("Showing 100,000 of");
            s.browser().screenshot("phone-message");
            d.findElement(By.id("m-text-all")).click();
            new WebDriverWait(d, WAIT).until(x -> (Long) js(x, "return document.getElementById('m-text').textContent.length")
                    > 1_000_000L);
            assertThat(text(d, "m-text-note")).contains("longer than the server shows");
            assertNoHorizontalOverflow(d);
            d.findElement(By.id("back")).click();
            new WebDriverWait(d, WAIT).until(x -> x.findElement(By.id("list-pane")).isDisplayed());
        }
    }

    @Test
    void longMailboxesArePagedTwentyAtATime() throws Exception {
        try (Session s = Session.open("paging", 1000, 700)) {
            ChromeDriver d = s.driver();
            String address = s.inbox();
            for (int i = 1; i <= 23; i++) {
                deliver(address, "From: a@example.org\nSubject: number " + i + "\n\nbody " + i + "\n", StandardCharsets.US_ASCII);
            }
            d.navigate().refresh();
            assertThat(itemSubjects(d, 20)).hasSize(20).startsWith("number 23").endsWith("number 4");
            d.findElement(By.id("older")).click();
            new WebDriverWait(d, WAIT).until(x -> itemSubjects(x).size() == 23);
            assertThat(itemSubjects(d)).endsWith("number 3", "number 2", "number 1");
            assertThat(d.findElement(By.id("older")).isDisplayed()).isFalse();
        }
    }

    @Test
    void chooseReloadExtendNewAddressAndForget() throws Exception {
        try (Session s = Session.open("address", 1100, 760)) {
            ChromeDriver d = s.driver();
            String random = s.inbox();
            assertThat(text(d, "lifetime")).matches("Expires in (59 min|1 h)\\.");

            d.findElement(By.id("choose-toggle")).click();
            d.findElement(By.id("choose-user")).sendKeys("chosen.one");
            new Select(d.findElement(By.id("choose-domain"))).selectByVisibleText("example.net");
            d.findElement(By.cssSelector("#choose button[type=submit]")).click();
            new WebDriverWait(d, WAIT).until(x -> "chosen.one@example.net".equals(shownAddress(x)));
            assertThat(random).isNotEqualTo("chosen.one@example.net");
            deliver("chosen.one@example.net", "From: a@example.org\nSubject: for the chosen one\n\nhi\n", StandardCharsets.US_ASCII);
            new WebDriverWait(d, APPEARS_WITHIN).until(x -> itemSubjects(x).contains("for the chosen one"));

            // The session is in a cookie: a reload keeps the address and its mail.
            d.navigate().refresh();
            new WebDriverWait(d, WAIT).until(x -> "chosen.one@example.net".equals(shownAddress(x)));
            assertThat(itemSubjects(d, 1)).containsExactly("for the chosen one");

            d.findElement(By.id("extend")).click();
            new WebDriverWait(d, WAIT).until(x -> text(x, "lifetime").matches("Expires in (1 h 59 min|2 h)\\."));

            d.findElement(By.id("new-address")).click();
            new WebDriverWait(d, WAIT).until(x -> !"chosen.one@example.net".equals(shownAddress(x)));
            String fresh = shownAddress(d);
            assertThat(fresh).matches("[a-z0-9]{10}@example\\.com");
            assertThat(d.findElement(By.id("empty")).isDisplayed()).isTrue();
            assertThat(new MailApi(base).json(MailApi.mailbox("chosen.one@example.net") + "/messages").get("messages"))
                    .as("a new address leaves the old one's mail").hasSize(1);

            // Forget: the address's mail is deleted and another address is given.
            deliver(fresh, "From: a@example.org\nSubject: forget me\n\nbye\n", StandardCharsets.US_ASCII);
            new WebDriverWait(d, APPEARS_WITHIN).until(x -> itemSubjects(x).contains("forget me"));
            d.findElement(By.id("forget")).click();
            d.switchTo().alert().accept();
            new WebDriverWait(d, WAIT).until(x -> !fresh.equals(shownAddress(x)) && !shownAddress(x).isEmpty());
            assertThat(new MailApi(base).json(MailApi.mailbox(fresh) + "/messages").get("messages")).isEmpty();
            assertThat(text(d, "status")).contains("1 message(s) are gone");
            assertThat(d.findElement(By.id("empty")).isDisplayed()).isTrue();
        }
    }

    @Test
    void pageHeadersAndTheFramesOwnPolicy() throws Exception {
        MailApi api = new MailApi(base);
        MailApi.Response first = api.get("/");
        MailApi.Response second = api.get("/");
        assertThat(first.status()).isEqualTo(200);
        String csp = first.header("Content-Security-Policy");
        Matcher nonce = Pattern.compile("script-src 'nonce-([A-Za-z0-9+/=]{24})'").matcher(csp);
        assertThat(nonce.find()).as(csp).isTrue();
        assertThat(csp).contains("style-src 'nonce-" + nonce.group(1) + "'", "default-src 'none'", "object-src 'none'",
                "frame-ancestors 'none'", "base-uri 'none'").doesNotContain("unsafe-inline", "unsafe-eval");
        assertThat(first.text()).contains("<script src=\"/inbox/app.js\" nonce=\"" + nonce.group(1) + "\">");
        assertThat(second.header("Content-Security-Policy")).as("a new nonce per response").doesNotContain(nonce.group(1));
        assertThat(first.header("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(first.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(first.header("Cache-Control")).isEqualTo("no-store");
        MailApi.Response js = api.get("/inbox/app.js");
        assertThat(js.header("Content-Type")).startsWith("text/javascript");
        assertThat(js.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(api.get("/inbox/nothing.js").status()).isEqualTo(404);

        deliver("frame@example.com", "From: a@example.org\nSubject: framed\nContent-Type: text/html\n\n"
                + "<p>hi</p><img src=\"http://127.0.0.1:9/i.png\"><script>x()</script>\n", StandardCharsets.US_ASCII);
        String id = api.json(MailApi.mailbox("frame@example.com") + "/messages").get("messages").get(0).get("id").asText();
        MailApi.Response plain = api.get(MailApi.mailbox("frame@example.com") + "/messages/" + id + "/html");
        assertThat(plain.header("Content-Type")).startsWith("text/html");
        assertThat(plain.header("Content-Security-Policy")).contains("default-src 'none'", "img-src data:;", "sandbox",
                "frame-ancestors 'self'", "form-action 'none'").doesNotContain("script-src", "http:");
        assertThat(plain.text()).contains("<p>hi</p>").doesNotContain("i.png", "<script");
        MailApi.Response shown = api.get(MailApi.mailbox("frame@example.com") + "/messages/" + id + "/html?images=1");
        assertThat(shown.header("Content-Security-Policy")).contains("img-src data: http: https:;").doesNotContain("script-src");
        assertThat(shown.text()).contains("src=\"http://127.0.0.1:9/i.png\"").doesNotContain("<script");
        assertThat(api.get(MailApi.mailbox("frame@example.com") + "/messages/" + id + "/html?images=2").status()).isEqualTo(400);
    }

    @Test
    void anotherSitesRequestsAreRefusedUnlessItsOriginIsAllowed() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        String events = base + MailApi.mailbox("x@example.com") + "/events";
        String list = base + MailApi.mailbox("x@example.com") + "/messages";
        String ajax = base + "/ajax.php?f=get_email_address";
        for (String url : List.of(events, list, ajax, base + "/api/v1/info")) {
            assertThat(status(client, url, "GET", "Sec-Fetch-Site", "cross-site", "Origin", "http://evil.test")).as(url).isEqualTo(403);
            // Another port on the same host is the same site, but another origin.
            assertThat(status(client, url, "GET", "Sec-Fetch-Site", "same-site", "Origin", "http://127.0.0.1:1")).as(url)
                    .isEqualTo(403);
            // A browser without Sec-Fetch-Site: the Origin decides.
            assertThat(status(client, url, "GET", "Origin", "http://evil.test")).as(url).isEqualTo(403);
        }
        HttpResponse<String> refused = client.send(request(list, "DELETE", "Sec-Fetch-Site", "cross-site", "Origin",
                "http://evil.test"), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("\"error\"", "allowed_origins");
        assertThat(status(client, ajax, "POST", "Sec-Fetch-Site", "cross-site", "Origin", "null")).isEqualTo(403);

        // The page's own requests, a typed URL, and clients that are not browsers.
        assertThat(status(client, ajax, "GET", "Sec-Fetch-Site", "same-origin")).isEqualTo(200);
        assertThat(status(client, list, "GET", "Sec-Fetch-Site", "none")).isEqualTo(200);
        assertThat(status(client, list, "GET", "Origin", base)).isEqualTo(200);
        assertThat(status(client, list, "GET")).isEqualTo(200);

        // A configured origin may, and may read the answer.
        HttpResponse<String> allowed = client.send(request(list, "GET", "Sec-Fetch-Site", "cross-site", "Origin",
                "http://allowed.test:8080"), HttpResponse.BodyHandlers.ofString());
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue("http://allowed.test:8080");
        HttpResponse<String> preflight = client.send(request(list, "OPTIONS", "Origin", "http://allowed.test:8080",
                "Access-Control-Request-Method", "DELETE"), HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods").orElse("")).contains("DELETE");
        assertThat(status(client, list, "OPTIONS", "Origin", "http://evil.test", "Access-Control-Request-Method", "DELETE"))
                .isEqualTo(403);

        // The session cookie never rides along with another site's request.
        HttpResponse<String> session = client.send(request(ajax, "GET"), HttpResponse.BodyHandlers.ofString());
        assertThat(session.headers().firstValue("Set-Cookie").orElse("")).contains("HttpOnly", "SameSite=Strict");
    }

    @Test
    void aPageOnAnotherPortCannotActOnTheReadersSession() throws Exception {
        try (Session s = Session.open("csrf", 1000, 700)) {
            ChromeDriver d = s.driver();
            String address = s.inbox();
            deliver(address, "From: a@example.org\nSubject: keep me\n\nstay\n", StandardCharsets.US_ASCII);
            new WebDriverWait(d, APPEARS_WITHIN).until(x -> itemSubjects(x).contains("keep me"));
            String id = (String) js(d, "return document.querySelector('.item').dataset.id");

            // 127.0.0.1 on another port: the same site (so SameSite cookies go along), another origin.
            String ajax = base + "/ajax.php";
            attackPage = """
                    <!doctype html><title>attack</title>
                    <form id="f" method="post" action="AJAX"><input name="f" value="del_email">
                    <input name="email_ids[]" value="ID"></form>
                    <script>
                    fetch('AJAX?f=forget_me&email_addr=ADDR', {credentials: 'include', mode: 'no-cors'})
                      .finally(() => fetch('BASE/api/v1/mailboxes/ADDR/messages/ID', {method: 'DELETE', mode: 'no-cors'}))
                      .finally(() => document.getElementById('f').submit());
                    </script>
                    """.replace("AJAX", ajax).replace("BASE", base).replace("ADDR", address).replace("ID", id);
            d.get("http://127.0.0.1:" + watcher.getAddress().getPort() + "/attack");
            new WebDriverWait(d, WAIT).until(x -> x.getCurrentUrl().startsWith(ajax));
            assertThat(d.findElement(By.tagName("body")).getText()).contains("cross-origin requests are refused");

            d.get(base + "/");
            new WebDriverWait(d, WAIT).until(x -> address.equals(shownAddress(x)));
            assertThat(itemSubjects(d, 1)).containsExactly("keep me");
            assertThat(new MailApi(base).get(MailApi.mailbox(address) + "/messages/" + id).status()).isEqualTo(200);
        }
    }

    private static HttpRequest request(String url, String method, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(WAIT)
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return b.build();
    }

    private static int status(HttpClient client, String url, String method, String... headers) throws Exception {
        return client.send(request(url, method, headers), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static void assertNoHorizontalOverflow(WebDriver d) {
        Long scroll = (Long) js(d, "return document.documentElement.scrollWidth");
        Long client = (Long) js(d, "return document.documentElement.clientWidth");
        assertThat(scroll).as("page width").isLessThanOrEqualTo(client);
    }

    private static boolean sameBytes(Path file, byte[] expected) {
        try {
            return Arrays.equals(Files.readAllBytes(file), expected);
        } catch (IOException e) {
            return false;
        }
    }

    private static Object js(WebDriver d, String script) {
        return ((JavascriptExecutor) d).executeScript(script);
    }

    private static WebElement waitFor(WebDriver d, By by) {
        return new WebDriverWait(d, WAIT).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    private static String shownAddress(WebDriver d) {
        return new WebDriverWait(d, WAIT).until(x -> {
            String v = x.findElement(By.id("address")).getDomProperty("value");
            return v == null || v.isEmpty() ? null : v;
        });
    }

    private static String text(WebDriver d, String id) {
        return (String) js(d, "return document.getElementById('" + id + "').textContent");
    }

    @SuppressWarnings("unchecked")
    private static List<String> itemSubjects(WebDriver d) {
        // In one script: the list may be redrawn between finding an element and reading it.
        return (List<String>) js(d, "return [...document.querySelectorAll('.item .subject')].map(e => e.textContent)");
    }

    private static List<String> itemSubjects(WebDriver d, int atLeast) {
        return new WebDriverWait(d, WAIT).until(x -> {
            List<String> s = itemSubjects(x);
            return s.size() >= atLeast ? s : null;
        });
    }

    private static void open(WebDriver d, String subject) {
        int i = itemSubjects(d).indexOf(subject);
        assertThat(i).as("\"" + subject + "\" in " + itemSubjects(d)).isNotNegative();
        d.findElements(By.cssSelector(".item")).get(i).click();
        new WebDriverWait(d, WAIT).until(x -> subject.equals(text(x, "m-subject")));
    }

    private static void deliver(String to, String message, Charset charset) throws Exception {
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        m.writeBytes(("To: " + to + "\n").replace("\n", "\r\n").getBytes(StandardCharsets.US_ASCII));
        m.writeBytes(message.replace("\r\n", "\n").replace("\n", "\r\n").getBytes(charset));
        assertThat(MailApi.deliver(smtp, "sender@example.org", to, m.toByteArray())).startsWith("250");
    }
}
