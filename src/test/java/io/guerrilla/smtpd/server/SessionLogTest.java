package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.metrics.PrometheusMetrics;
import io.guerrilla.smtpd.support.LogCapture;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestCertificates;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The session's log lines and counters as an operator reads them, over real sockets: every line
 * carries its connection as {@code conn=}, client text cannot forge fields, refused recipients are
 * logged and counted, and BDAT messages are counted as DATA messages are.
 */
class SessionLogTest {
    private static final PrometheusMetrics metrics = new PrometheusMetrics();
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(metrics, c -> {
            TestCertificates.install(c.tls);
            c.tls.startTls = true;
            c.maxRecipients = 4;
            c.maxSize = 1000;
        });
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static SmtpClient greeted(String helo) throws Exception {
        SmtpClient c = new SmtpClient(server.port());
        assertThat(c.reply()).startsWith("220 ");
        c.send(("EHLO " + helo + "\r\n").getBytes(StandardCharsets.UTF_8));
        assertThat(c.reply()).startsWith("250");
        return c;
    }

    private static double value(String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(metrics.scrape());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Test
    void aForgedSenderAndHeloStayInsideTheirQuotedValues() throws Exception {
        try (LogCapture log = LogCapture.of(SmtpSessionHandler.class);
             SmtpClient c = greeted("evil.test code=999 \"x\" \u202Eexe\u0085")) {
            c.transaction("\"x code=999 client=6.6.6.6\"@example.net", "forged@example.com", "forged fields");
            String stored = log.await("message stored", 1).get(0);
            Map<String, String> f = LogCapture.fields(stored);
            assertThat(f.get("code")).isEqualTo("250");
            assertThat(f.get("client")).isEqualTo("127.0.0.1");
            assertThat(f.get("from")).isEqualTo("<\"x code=999 client=6.6.6.6\"@example.net>");
            assertThat(stored).contains(" helo=\"evil.test code=999 \\\"x\\\" \\u202Eexe\\u0085\" ");
            assertThat(stored).doesNotContain("\u202E", "\u0085").contains("from=\"<\\\"x code=999 client=6.6.6.6\\\"@example.net>\"");
        }
    }

    @Test
    void everyRefusedRecipientIsLoggedAndCountedByCode() throws Exception {
        double relay = value("guerrilla_recipients_refused_total{code=\"550\",status=\"5.7.1\"}");
        double tooMany = value("guerrilla_recipients_refused_total{code=\"452\",status=\"4.5.3\"}");
        try (LogCapture log = LogCapture.of(SmtpSessionHandler.class); SmtpClient c = greeted("client.test")) {
            assertThat(c.command("MAIL FROM:<s@remote.test>")).startsWith("250");
            assertThat(c.command("RCPT TO:<victim@elsewhere.test>")).startsWith("550 5.7.1");
            for (int i = 0; i < 5; i++) {
                assertThat(c.command("RCPT TO:<r" + i + "@example.com>")).startsWith(i < 4 ? "250" : "452 4.5.3");
            }
            assertThat(c.command("DATA")).startsWith("354");
            assertThat(c.command("Subject: many\r\n\r\nhi\r\n.")).startsWith("250 2.0.0");

            List<String> refused = log.await("recipient refused", 2);
            Map<String, String> relayLine = LogCapture.fields(refused.get(0));
            assertThat(relayLine).containsEntry("code", "550").containsEntry("status", "5.7.1")
                    .containsEntry("to", "<victim@elsewhere.test>").containsEntry("from", "<s@remote.test>")
                    .containsEntry("helo", "client.test").containsEntry("client", "127.0.0.1").containsKey("conn");
            assertThat(LogCapture.fields(refused.get(1))).containsEntry("code", "452").containsEntry("to", "<r4@example.com>");

            Map<String, String> stored = LogCapture.fields(log.await("message stored", 1).get(0));
            assertThat(stored).containsEntry("rcpts", "4")
                    .containsEntry("to", "<r0@example.com>,<r1@example.com>,<r2@example.com>,...")
                    .containsEntry("conn", relayLine.get("conn"));
        }
        assertThat(value("guerrilla_recipients_refused_total{code=\"550\",status=\"5.7.1\"}")).isEqualTo(relay + 1);
        assertThat(value("guerrilla_recipients_refused_total{code=\"452\",status=\"4.5.3\"}")).isEqualTo(tooMany + 1);
    }

    @Test
    void aRecipientTheCheckDoesNotKnowIsLoggedAndCounted(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path db = dir.resolve("checked.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE mailboxes (address varchar(255) NOT NULL)");
            st.execute("INSERT INTO mailboxes (address) VALUES ('known@example.com')");
        }
        PrometheusMetrics own = new PrometheusMetrics();
        try (TestServer checked = TestServer.start(own, c -> {
            c.store.path = db.toString();
            c.store.validateProcess = "SQL";
            c.store.validateSql = "SELECT 1 FROM mailboxes WHERE address = ?";
        }); LogCapture log = LogCapture.of(SmtpSessionHandler.class); SmtpClient c = new SmtpClient(checked.port())) {
            c.reply();
            c.command("EHLO check.test");
            c.command("MAIL FROM:<a@check.test>");
            assertThat(c.command("RCPT TO:<unknown@example.com>")).startsWith("550 5.1.1");
            assertThat(LogCapture.fields(log.await("recipient refused", 1).get(0))).containsEntry("code", "550")
                    .containsEntry("status", "5.1.1").containsEntry("to", "<unknown@example.com>");
        }
        assertThat(own.scrape()).contains("guerrilla_recipients_refused_total{code=\"550\",status=\"5.1.1\"} 1.0");
    }

    @Test
    void bdatMessagesAreCountedAndAnOversizeChunkIsRejectedAsDataIs() throws Exception {
        double stored = value("guerrilla_messages_total{code=\"250\",outcome=\"accepted\"}");
        double tooBig = value("guerrilla_messages_total{code=\"552\",outcome=\"rejected\"}");
        double bytes = value("guerrilla_received_bytes_total");
        try (LogCapture log = LogCapture.of(SmtpSessionHandler.class); SmtpClient c = greeted("bdat.test")) {
            c.command("MAIL FROM:<s@remote.test>");
            c.command("RCPT TO:<b@example.com>");
            String body = "Subject: bdat\r\n\r\nhello\r\n";
            c.send("BDAT " + body.length() + " LAST\r\n" + body);
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued");
            log.await("message stored", 1);

            c.command("MAIL FROM:<s@remote.test>");
            c.command("RCPT TO:<b@example.com>");
            String big = "x".repeat(1200);
            c.send("BDAT " + big.length() + "\r\n" + big);
            assertThat(c.reply()).startsWith("552 5.3.4");
            Map<String, String> rejected = LogCapture.fields(log.await("message rejected", 1).get(0));
            assertThat(rejected).containsEntry("code", "552").containsEntry("status", "5.3.4").containsKey("conn");
            assertThat(Long.parseLong(rejected.get("size"))).isGreaterThan(1000);
            assertThat(c.command("QUIT")).startsWith("221");
            assertThat(LogCapture.fields(log.await("connection closed", 1).get(0))).containsEntry("messages", "2");
        }
        assertThat(value("guerrilla_messages_total{code=\"250\",outcome=\"accepted\"}")).isEqualTo(stored + 1);
        assertThat(value("guerrilla_messages_total{code=\"552\",outcome=\"rejected\"}")).isEqualTo(tooBig + 1);
        assertThat(value("guerrilla_received_bytes_total")).isGreaterThan(bytes + 1000 + 20);
    }

    @Test
    void aRefusedConnectionIsOneKeyValueLineWithItsReason() throws Exception {
        try (TestServer limited = TestServer.start(c -> c.maxConnectionsPerIp = 1);
             LogCapture log = LogCapture.of(SmtpSessionHandler.class); SmtpClient first = new SmtpClient(limited.port())) {
            assertThat(first.reply()).startsWith("220 ");
            try (SmtpClient second = new SmtpClient(limited.port())) {
                assertThat(second.reply()).startsWith("421 4.7.0");
            }
            String refused = log.await("connection refused", 1).get(0);
            assertThat(refused).contains(" - connection refused conn=");
            assertThat(LogCapture.fields(refused)).containsEntry("client", "127.0.0.1").containsEntry("reason", "per_ip_limit")
                    .containsEntry("code", "421");
        }
    }

    @Test
    void theStoredLineNamesTheTlsProtocolAndCipher() throws Exception {
        try (LogCapture log = LogCapture.of(SmtpSessionHandler.class); SmtpClient c = greeted("tls.test")) {
            assertThat(c.command("STARTTLS")).startsWith("220");
            SSLSession tls = c.startTls(TestCertificates.clientContext());
            c.command("EHLO tls.test");
            c.transaction("s@remote.test", "t@example.com", "over tls");
            assertThat(LogCapture.fields(log.await("message stored", 1).get(0)))
                    .containsEntry("tls", tls.getProtocol()).containsEntry("cipher", tls.getCipherSuite());
            c.command("QUIT");
            assertThat(LogCapture.fields(log.await("connection closed", 1).get(0)))
                    .containsEntry("tls", tls.getProtocol()).containsEntry("cipher", tls.getCipherSuite());
        }
    }

    @Test
    void aFailedHandshakeNamesItsConnectionAsAKeyValue() throws Exception {
        try (LogCapture log = LogCapture.of(SmtpSessionHandler.class); SmtpClient c = greeted("badtls.test")) {
            assertThat(c.command("STARTTLS")).startsWith("220");
            c.send("this is not a TLS client hello\r\n\r\n".repeat(4));
            String failed = log.await("TLS handshake failed", 1).get(0);
            assertThat(failed).contains(" - TLS handshake failed conn=");
            assertThat(LogCapture.fields(failed)).containsKeys("conn", "client", "error");
        }
    }
}
