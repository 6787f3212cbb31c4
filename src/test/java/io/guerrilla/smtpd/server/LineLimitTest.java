package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 5321 4.5.3.1 line limits over a real socket: refused, and the session stays in sync. */
class LineLimitTest {
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void commandLineOf512OctetsAcceptedAndOneMoreRefused() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            String longest = "NOOP " + "a".repeat(512 - 2 - 5);
            assertThat(c.command(longest)).isEqualTo("250 2.0.0 Ok");
            assertThat(c.command(longest + "a")).isEqualTo("500 5.5.2 Error: line too long");
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
    }

    @Test
    void tooLongLinesInAPipelinedGroupDoNotDesync() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.send("EHLO a.test\r\nMAIL FROM:<" + "a".repeat(2000) + "@b.test>\r\nMAIL FROM:<a@b.test>\r\nRSET\r\n");
            assertThat(c.replies(4)).extracting(r -> r.substring(0, 3)).containsExactly("250", "500", "250", "250");
        }
    }

    /** A megabyte without CRLF is discarded as it arrives: one 500 when the CRLF comes, then in sync. */
    @Test
    void megabyteWithoutCrlfGetsOneReplyAndTheSessionGoesOn() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) 'x');
            for (int i = 0; i < 16; i++) {
                c.send(chunk);
            }
            assertThat(c.drain(200)).as("nothing answered before the line ends").isEmpty();
            c.send("\r\nEHLO after.test\r\n");
            assertThat(c.reply()).isEqualTo("500 5.5.2 Error: line too long");
            assertThat(c.reply()).startsWith("250-mx.test.local");
            assertThat(c.command("MAIL FROM:<a@b.test>")).isEqualTo("250 2.1.0 Ok");
            c.command("RCPT TO:<x@example.com>");
            c.command("DATA");
            c.send("Subject: after-megabyte\r\n\r\nok\r\n.\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
    }

    /** Data lines over 1000 octets: read to the end of data, then 552 5.6.0 (nothing stored). */
    @Test
    void dataLineOver1000OctetsRefusedAfterTheEndOfData() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO a.test");
            c.command("MAIL FROM:<a@b.test>");
            c.command("RCPT TO:<x@example.com>");
            c.command("DATA");
            c.send("Subject: long-data-line\r\n\r\n" + "y".repeat(999) + "\r\n.\r\n");
            assertThat(c.reply()).isEqualTo("552 5.6.0 Error: message line longer than 1000 octets (RFC 5321 4.5.3.1.6)");
            c.command("MAIL FROM:<a@b.test>");
            c.command("RCPT TO:<x@example.com>");
            c.command("DATA");
            c.send("Subject: long-data-line-ok\r\n\r\n" + "y".repeat(998) + "\r\n.\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        assertThat(server.rowsContaining("long-data-line\r\n")).isEmpty();
        assertThat(server.rowsContaining("long-data-line-ok")).hasSize(1);
    }

    /** A megabyte-long data line: its bytes are kept only up to max_size; the session answers and goes on. */
    @Test
    void megabyteDataLineDoesNotStall() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO a.test");
            c.command("MAIL FROM:<a@b.test>");
            c.command("RCPT TO:<x@example.com>");
            c.command("DATA");
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) 'z');
            for (int i = 0; i < 16; i++) {
                c.send(chunk);
            }
            c.send("\r\n.\r\n");
            assertThat(c.reply()).startsWith("552 5.6.0");
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
    }
}
