package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The whole path over a real socket: SMTP in, rows in SQLite out, every column checked. */
class RawSocketTransactionTest {
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static List<Map<String, Object>> rowsWithHash(String hashOrMarker) throws Exception {
        return server.rows().stream()
                .filter(r -> new String((byte[]) r.get("mail"), StandardCharsets.UTF_8).contains(hashOrMarker)).toList();
    }

    @Test
    void messageStoredWithEveryColumn() throws Exception {
        long before = server.receivedCounter();
        try (SmtpClient c = new SmtpClient(server.port())) {
            assertThat(c.reply()).isEqualTo("220 mx.test.local ESMTP Guerrilla SMTPd");
            assertThat(c.command("EHLO client.test")).startsWith("250-mx.test.local").contains("250-SIZE ", "PIPELINING",
                    "8BITMIME", "ENHANCEDSTATUSCODES");
            assertThat(c.command("MAIL FROM:<Sender@Remote.test>")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("RCPT TO:<Alice@Example.com>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("RCPT TO:<bob@sub.example.org>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("DATA")).startsWith("354 ");
            c.send("From: \"Sender Name\" <sender@remote.test>\r\n"
                    + "To: alice@example.com\r\n"
                    + "Subject: =?UTF-8?B?SMOpbGxvIHfDtnJsZA==?= marker-columns\r\n"
                    + "Message-ID: <abc123@remote.test>\r\n"
                    + "Reply-To: replies@remote.test\r\n"
                    + "Sender: agent@remote.test\r\n"
                    + "MIME-Version: 1.0\r\n"
                    + "Content-Type: multipart/mixed; boundary=\"b1\"; charset=\"UTF-8\"\r\n"
                    + "\r\n"
                    + "--b1\r\n\r\n..dot-stuffed line\r\n--b1--\r\n"
                    + ".\r\n");
            String reply = c.reply();
            assertThat(reply).matches("250 2\\.0\\.0 Ok: queued as [0-9A-Z]+");
            assertThat(c.command("QUIT")).isEqualTo("221 2.0.0 Bye");
            assertThat(c.closedByServer()).isTrue();

            String queueId = reply.substring(reply.lastIndexOf(' ') + 1);
            List<Map<String, Object>> rows = rowsWithHash("marker-columns");
            assertThat(rows).hasSize(2);
            Map<String, Object> alice = rows.get(0);
            assertThat(alice.get("date").toString()).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d");
            assertThat(alice.get("from")).isEqualTo("sender@remote.test");
            assertThat(alice.get("to")).isEqualTo("Alice@example.com");
            assertThat(alice.get("recipient")).isEqualTo("Alice@Example.com");
            assertThat(alice.get("subject")).isEqualTo("Héllo wörld marker-columns");
            assertThat(alice.get("body")).isEqualTo("raw");
            assertThat(alice.get("charset")).isEqualTo("utf-8");
            assertThat(alice.get("content_type")).isEqualTo("multipart/mixed");
            assertThat(alice.get("has_attach")).isEqualTo(1);
            assertThat(((Number) alice.get("spam_score")).doubleValue()).isZero();
            assertThat(alice.get("hash").toString()).matches("[0-9a-f]{32}");
            assertThat(alice.get("ip_addr")).isEqualTo("127.0.0.1");
            assertThat(alice.get("message_id")).isEqualTo("abc123@remote.test");
            assertThat(alice.get("reply_to")).isEqualTo("replies@remote.test");
            assertThat(alice.get("sender")).isEqualTo("agent@remote.test");
            assertThat(alice.get("return_path")).isEqualTo("Sender@Remote.test");
            assertThat(alice.get("is_tls")).isEqualTo(0);
            String mail = new String((byte[]) alice.get("mail"), StandardCharsets.UTF_8);
            assertThat(mail).startsWith("Delivered-To: Alice@Example.com\r\nReceived: from client.test ([127.0.0.1])\r\n"
                    + "\tby mx.test.local (guerrillad node-t) with ESMTP id " + queueId + "\r\n\tfor <Alice@Example.com>; ");
            assertThat(mail).contains("\r\n\r\n--b1\r\n\r\n.dot-stuffed line\r\n--b1--\r\n").endsWith("--b1--\r\n");

            Map<String, Object> bob = rows.get(1);
            assertThat(bob.get("to")).isEqualTo("bob@sub.example.org");
            assertThat(bob.get("hash")).isNotEqualTo(alice.get("hash"));
            assertThat(server.receivedCounter()).isEqualTo(before + 1);
        }
    }

    @Test
    void errorsKeepTheSessionUsable() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            assertThat(c.command("MAIL FROM:<a@b.test>")).isEqualTo("503 5.5.1 Error: send HELO/EHLO first");
            assertThat(c.command("HELO x")).isEqualTo("250 mx.test.local");
            assertThat(c.command("XYZZY")).isEqualTo("500 5.5.2 Error: command not recognized");
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
            assertThat(c.command("VRFY alice")).startsWith("252 ");
            assertThat(c.command("HELP")).startsWith("214 ");
            assertThat(c.command("MAIL FROM:a@b.test")).startsWith("501 5.1.7");
            assertThat(c.command("DATA")).isEqualTo("503 5.5.1 Error: need MAIL command");
            assertThat(c.command("MAIL FROM:<>")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("RCPT TO:<postmaster>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("RSET")).isEqualTo("250 2.0.0 Ok");
            assertThat(c.command("NOOP " + "x".repeat(600))).isEqualTo("500 5.5.2 Error: line too long");
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
    }
}
