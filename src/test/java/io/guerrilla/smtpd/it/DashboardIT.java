package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.support.Browser;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.ServerProcess;
import io.guerrilla.smtpd.support.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin dashboard of the packaged server in headless Chromium: the counters and top lists move
 * as mail arrives over SMTP, without a reload, and a hostile HELO name is shown as text.
 */
class DashboardIT {
    /** A HELO whose markup would change the page title if the page ever parsed it as HTML. */
    private static final String HOSTILE_HELO = "<img src=x onerror=\"document.title='pwned'\">";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;
    private final int admin;
    private final String base;

    DashboardIT() throws IOException {
        port = Ports.free();
        admin = Ports.free();
        base = "http://127.0.0.1:" + admin;
    }

    /** The packaged server with its admin listener on, once that listener is up. */
    private ServerProcess serve(Path dir) throws Exception {
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, "listen_interface: 127.0.0.1:" + port + "\nallowed_hosts: [m.test, n.test]\n"
                + "max_size: 2000\nstore:\n  path: data/mail.db\nadmin:\n  listen: 127.0.0.1:" + admin + "\n");
        ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString());
        // The admin listener opens just after the SMTP port the start waits for.
        server.awaitLog("admin listening");
        return server;
    }

    @Test
    void countersAndTopListsMoveLiveAndClientTextStaysText(@TempDir Path dir) throws Exception {
        try (ServerProcess server = serve(dir); Browser browser = Browser.start(1100, 880)) {
            ChromeDriver page = browser.driver();
            page.get(base + "/");
            assertThat(page.getCurrentUrl()).isEqualTo(base + "/dashboard");
            await(page, "the event stream to open", d -> text(d, "link-state").equals("live"));
            await(page, "the first sample", d -> text(d, "stored-total").equals("0"));
            // Set in the page now: still there at the end only if the page was never reloaded.
            page.executeScript("window.notReloaded = true;");
            // The start-up's own probe of the SMTP port was a connection too.
            long connectionsBefore = Long.parseLong(text(page, "connections-total"));

            // Six rounds, each in its own sample, so the charts have a shape.
            for (int round = 0; round < 6; round++) {
                String before = text(page, "updated");
                send("mx1.sender.example", "box" + round + "@m.test");
                if (round % 2 == 0) {
                    send("mail.example.org", "box" + round + "@n.test");
                }
                if (round == 3) {
                    send(HOSTILE_HELO, "victim@m.test");
                }
                if (round == 5) {
                    sendTooBig();
                }
                await(page, "the next sample", d -> !text(d, "updated").equals(before));
            }

            await(page, "10 stored", d -> text(d, "stored-total").equals("10"));
            await(page, "the 552", d -> text(d, "perm-total").equals("1"));
            await(page, "the top HELO names", d -> items(d, "top-helo").size() == 4);
            assertThat(items(page, "top-helo")).containsExactly("mx1.sender.example", "mail.example.org",
                    HOSTILE_HELO, "big.example");
            assertThat(items(page, "top-domains")).containsExactly("m.test", "n.test");
            assertThat(counts(page, "top-domains")).containsExactly("7", "3");
            assertThat(counts(page, "top-helo")).containsExactly("6", "3", "1", "1");
            assertThat(items(page, "top-clients")).containsExactly("127.0.0.1");
            assertThat(Long.parseLong(text(page, "connections-total"))).isEqualTo(connectionsBefore + 11);
            assertThat(text(page, "store-state")).isEqualTo("store healthy");
            await(page, "a store latency", d -> text(d, "latency-p50").endsWith(" ms"));
            // Drawn, not just counted: the stored line of the chart has a point per sample.
            assertThat(page.executeScript(
                    "return document.querySelector('#chart-messages polyline.stored').getAttribute('points');"))
                    .asString().contains(",");

            // The hostile HELO is shown as the characters it is: no element was made of it, nothing ran.
            assertThat(page.getTitle()).isEqualTo("guerrillad dashboard");
            assertThat(page.findElements(By.tagName("img"))).isEmpty();
            assertThat(page.executeScript("return window.notReloaded === true;")).isEqualTo(true);
            browser.screenshot("dashboard");

            // A store that fails: the message is refused 451 (4xx), and the store shows unreachable.
            Path db = dir.resolve("data/mail.db");
            Files.delete(db);
            Files.createDirectory(db);
            assertThat(SmtpClient.deliver(port, "a@b.example", "late@m.test", "late")).startsWith("451");
            await(page, "the 451", d -> text(d, "temp-total").equals("1"));
            await(page, "the store state", d -> text(d, "store-state").equals("store unreachable"));
            assertThat(page.executeScript("return window.notReloaded === true;")).isEqualTo(true);
        }
    }

    @Test
    void pageHasAFreshNonceAndAStrictPolicyAndRefusesOtherHostNames(@TempDir Path dir) throws Exception {
        try (ServerProcess server = serve(dir)) {
            HttpResponse<String> first = get(base + "/dashboard");
            HttpResponse<String> second = get(base + "/dashboard");
            assertThat(first.statusCode()).isEqualTo(200);
            String csp = first.headers().firstValue("Content-Security-Policy").orElseThrow();
            assertThat(csp).contains("object-src 'none'", "frame-ancestors 'none'", "default-src 'none'")
                    .doesNotContain("unsafe-inline", "unsafe-eval");
            assertThat(first.headers().firstValue("Referrer-Policy")).contains("no-referrer");
            String nonce = nonce(csp);
            assertThat(first.body()).contains("<script nonce=\"" + nonce + "\"");
            assertThat(nonce(second.headers().firstValue("Content-Security-Policy").orElseThrow())).isNotEqualTo(nonce);
            assertThat(get(base + "/dashboard/dashboard.js").headers().firstValue("Content-Type"))
                    .hasValueSatisfying(t -> assertThat(t).startsWith("text/javascript"));

            // A name that DNS rebinding could point at loopback is refused, and so is a foreign Origin.
            assertThat(rawStatus(admin, "Host: rebound.example:" + admin)).isEqualTo(403);
            assertThat(rawStatus(admin, "Host: 127.0.0.1:" + admin + "\r\nOrigin: http://evil.example")).isEqualTo(403);
            assertThat(rawStatus(admin, "Host: localhost:" + admin)).isEqualTo(200);
        }
    }

    /**
     * Dashboards are bounded, and cost no request thread: with every slot taken by a stream, the
     * next one is refused 429 and /healthz still answers; a closed stream frees its slot.
     */
    @Test
    void openStreamsAreBoundedAndHoldNoWorker(@TempDir Path dir) throws Exception {
        List<Socket> streams = new ArrayList<>();
        try (ServerProcess server = serve(dir)) {
            for (int i = 0; i < 8; i++) {
                Socket s = openStream();
                streams.add(s);
                assertThat(readUntil(s, "event: history")).startsWith("HTTP/1.1 200");
            }
            try (Socket refused = openStream()) {
                assertThat(readUntil(refused, "\r\n")).startsWith("HTTP/1.1 429");
            }
            assertThat(get(base + "/healthz").statusCode()).isEqualTo(200);

            streams.remove(0).close();
            // The server notices the closed stream at its next sample's write: a bounded wait for that.
            long deadline = System.nanoTime() + WAIT.toNanos();
            String status;
            do {
                try (Socket again = openStream()) {
                    status = readUntil(again, "\r\n");
                }
            } while (!status.startsWith("HTTP/1.1 200") && System.nanoTime() < deadline);
            assertThat(status).startsWith("HTTP/1.1 200");
        } finally {
            for (Socket s : streams) {
                s.close();
            }
        }
    }

    private Socket openStream() throws IOException {
        Socket s = new Socket("127.0.0.1", admin);
        s.setSoTimeout(10_000);
        s.getOutputStream().write(("GET /dashboard/events HTTP/1.1\r\nHost: 127.0.0.1:" + admin + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        return s;
    }

    /** What the socket sends up to and including {@code marker}. */
    private static String readUntil(Socket s, String marker) throws IOException {
        StringBuilder got = new StringBuilder();
        InputStream in = s.getInputStream();
        while (got.indexOf(marker) < 0) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            got.append((char) b);
        }
        return got.toString();
    }

    private void send(String helo, String rcpt) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.reply();
            assertThat(c.command("EHLO " + helo)).startsWith("250");
            c.transaction("a@b.example", rcpt, "dashboard");
            c.command("QUIT");
        }
    }

    private void sendTooBig() throws Exception {
        try (SmtpClient big = new SmtpClient(port)) {
            big.reply();
            big.command("EHLO big.example");
            big.command("MAIL FROM:<a@b.example>");
            big.command("RCPT TO:<big@m.test>");
            big.command("DATA");
            assertThat(big.command("Subject: big\r\n\r\n" + ("x".repeat(900) + "\r\n").repeat(3) + ".")).startsWith("552");
        }
    }

    private static List<String> counts(WebDriver d, String listId) {
        return texts(d, "#" + listId + " li .count");
    }

    private static String text(WebDriver d, String id) {
        return d.findElement(By.id(id)).getText();
    }

    private static List<String> items(WebDriver d, String listId) {
        return texts(d, "#" + listId + " li .value");
    }

    /**
     * The text of every element matching {@code selector}, read in one script: the page redraws
     * its lists and charts each second, so elements found by one call may be gone by the next.
     */
    @SuppressWarnings("unchecked")
    private static List<String> texts(WebDriver d, String selector) {
        return (List<String>) ((JavascriptExecutor) d).executeScript(
                "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent);", selector);
    }

    private static void await(WebDriver d, String what, java.util.function.Function<WebDriver, Boolean> condition) {
        new WebDriverWait(d, WAIT).withMessage("waiting for " + what).until(condition::apply);
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String nonce(String csp) {
        Matcher m = Pattern.compile("'nonce-([A-Za-z0-9+/=]+)'").matcher(csp);
        assertThat(m.find()).as("a nonce in " + csp).isTrue();
        return m.group(1);
    }

    /** The status of GET /dashboard with the given headers, which HttpClient would not let a test set. */
    private static int rawStatus(int port, String headers) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /dashboard HTTP/1.1\r\n" + headers + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            return Integer.parseInt(response.substring(9, 12));
        }
    }
}
