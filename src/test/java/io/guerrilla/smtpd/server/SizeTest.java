package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** SIZE (RFC 1870): the limit is advertised, enforced at MAIL and again after the data. */
class SizeTest {
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(c -> c.maxSize = 1000);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static SmtpClient greeted() throws Exception {
        SmtpClient c = new SmtpClient(server.port());
        c.reply();
        assertThat(c.command("EHLO size.test")).contains("250-SIZE 1000");
        return c;
    }

    @Test
    void declaredSizeAboveTheLimitRefusedAtMail() throws Exception {
        try (SmtpClient c = greeted()) {
            assertThat(c.command("MAIL FROM:<a@size.test> SIZE=1001")).isEqualTo("552 5.3.4 Error: message size exceeds fixed limit");
            assertThat(c.command("MAIL FROM:<a@size.test> SIZE=99999999999999999999"))
                    .isEqualTo("552 5.3.4 Error: message size exceeds fixed limit");
            assertThat(c.command("MAIL FROM:<a@size.test> SIZE=12x")).isEqualTo("501 5.5.4 SIZE requires 1 to 20 digits");
            assertThat(c.command("MAIL FROM:<a@size.test> SIZE=1000")).isEqualTo("250 2.1.0 Ok");
        }
    }

    @Test
    void bodyPastTheLimitRefusedAfterDataAndNextTransactionWorks() throws Exception {
        try (SmtpClient c = greeted()) {
            c.command("MAIL FROM:<a@size.test> SIZE=10");
            c.command("RCPT TO:<x@example.com>");
            assertThat(c.command("DATA")).startsWith("354 ");
            // 200 KiB, two hundred times the limit, in many writes.
            for (int i = 0; i < 200; i++) {
                c.send("size-overflow " + "y".repeat(1000) + "\r\n");
            }
            c.send(".\r\n");
            assertThat(c.reply()).isEqualTo("552 5.3.4 Error: message size exceeds fixed limit");
            assertThat(c.command("MAIL FROM:<a@size.test>")).isEqualTo("250 2.1.0 Ok");
            c.command("RCPT TO:<x@example.com>");
            c.command("DATA");
            c.send("Subject: size-fits\r\n\r\nsmall\r\n.\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        assertThat(server.rowsContaining("size-overflow")).isEmpty();
        assertThat(server.rowsContaining("size-fits")).hasSize(1);
    }

    @Test
    void messageOfExactlyTheLimitIsAccepted() throws Exception {
        String head = "Subject: size-exact\r\n\r\n";
        String message = head + "z".repeat(1000 - head.length() - 2) + "\r\n";
        assertThat(message).hasSize(1000);
        try (SmtpClient c = greeted()) {
            c.command("MAIL FROM:<a@size.test>");
            c.command("RCPT TO:<x@example.com>");
            c.command("DATA");
            c.send(message + ".\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
    }
}
