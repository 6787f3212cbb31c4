package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** PIPELINING (RFC 2920): groups answered in order, and what happens to clients that break its rules. */
class PipeliningTest {
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
    void pipeliningAdvertised() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            assertThat(c.command("EHLO a.test")).contains("250-PIPELINING");
        }
    }

    @Test
    void severalTransactionsInOneWriteAnsweredInOrder() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            StringBuilder group = new StringBuilder("EHLO pipe.test\r\n");
            for (int i = 0; i < 3; i++) {
                group.append("MAIL FROM:<p@pipe.test>\r\nRCPT TO:<x@example.com>\r\nRCPT TO:<nobody@nowhere.test>\r\nDATA\r\n")
                        .append("Subject: pipelined-").append(i).append("\r\n\r\nbody\r\n.\r\n");
            }
            group.append("NOOP\r\nQUIT\r\n");
            c.send(group.toString());
            assertThat(c.reply()).startsWith("250-mx.test.local");
            for (int i = 0; i < 3; i++) {
                assertThat(c.reply()).isEqualTo("250 2.1.0 Ok");
                assertThat(c.reply()).isEqualTo("250 2.1.5 Ok");
                assertThat(c.reply()).isEqualTo("550 5.7.1 Error: relay access denied");
                assertThat(c.reply()).startsWith("354 ");
                assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
            }
            assertThat(c.reply()).isEqualTo("250 2.0.0 Ok");
            assertThat(c.reply()).isEqualTo("221 2.0.0 Bye");
            assertThat(c.closedByServer()).isTrue();
        }
        for (int i = 0; i < 3; i++) {
            assertThat(server.rowsContaining("Subject: pipelined-" + i)).hasSize(1);
        }
    }

    @Test
    void errorsInsideAGroupDoNotDesync() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.send("EHLO a.test\r\nRCPT TO:<x@example.com>\r\nXYZZY\r\nMAIL FROM:<bad\r\nMAIL FROM:<a@b.test>\r\n"
                    + "MAIL FROM:<a@b.test>\r\nRSET\r\nNOOP\r\n");
            List<String> r = c.replies(8);
            assertThat(r.get(0)).startsWith("250-");
            assertThat(r.subList(1, 8)).extracting(s -> s.substring(0, 3))
                    .containsExactly("503", "500", "501", "250", "503", "250", "250");
        }
    }

    /**
     * The banner is written as soon as the connection is accepted, before any input is read, so a
     * client that speaks first is simply answered in order (tolerated, not rejected: there is no greet
     * pause during which talking early could be told apart from a fast client).
     */
    @Test
    void clientTalkingBeforeTheBannerIsAnsweredInOrder() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.send("EHLO early.test\r\nNOOP\r\n");
            assertThat(c.reply()).startsWith("220 mx.test.local");
            assertThat(c.reply()).startsWith("250-mx.test.local");
            assertThat(c.reply()).isEqualTo("250 2.0.0 Ok");
        }
    }

    /** Content sent with DATA in one write, without waiting for 354, is the message (it follows DATA). */
    @Test
    void contentInTheSameWriteAsAnAcceptedDataIsTheMessage() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.send("EHLO a.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n"
                    + "Subject: content-with-data\r\n\r\nNOOP\r\nRSET\r\n.\r\nNOOP\r\n");
            List<String> r = c.replies(5);
            assertThat(r.get(3)).startsWith("354 ");
            assertThat(r.get(4)).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(c.reply()).as("only the NOOP after the end of data").isEqualTo("250 2.0.0 Ok");
            assertThat(c.drain(200)).isEmpty();
        }
        assertThat(server.rowsContaining("content-with-data")).singleElement()
                .satisfies(row -> assertThat(TestServer.mail(row)).endsWith("\r\n\r\nNOOP\r\nRSET\r\n"));
    }

    /**
     * DATA refused with its content already in the same write: that content would otherwise run as
     * commands (a body smuggling a transaction), so the client is told 554 5.5.0 and closed.
     */
    @Test
    void contentBehindARefusedDataClosesTheConnection() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.send("EHLO a.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<nobody@nowhere.test>\r\nDATA\r\n"
                    + "MAIL FROM:<evil@b.test>\r\nRCPT TO:<x@example.com>\r\nDATA\r\nSubject: refused-data-smuggle\r\n\r\n.\r\n");
            List<String> r = c.replies(5);
            assertThat(r.get(3)).isEqualTo("554 5.5.1 Error: no valid recipients");
            assertThat(r.get(4)).isEqualTo("554 5.5.0 Error: improper command pipelining after DATA; closing connection");
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(server.rowsContaining("refused-data-smuggle")).isEmpty();
    }

    @Test
    void refusedDataAloneInItsWriteKeepsTheSession() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.send("EHLO a.test\r\nMAIL FROM:<a@b.test>\r\nDATA\r\n");
            assertThat(c.replies(3).get(2)).isEqualTo("503 5.5.1 Error: need RCPT command");
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
    }
}
