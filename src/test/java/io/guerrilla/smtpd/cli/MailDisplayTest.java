package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code mail list} and {@code mail show} print what senders wrote: escape sequences, bidi overrides
 * and line breaks in it are shown as visible text, never passed to the operator's terminal or table.
 */
class MailDisplayTest {
    /** OSC 0 (set the window title), then clear the screen: what a hostile mail sends a terminal. */
    private static final String ESCAPES = "\u001b]0;pwned\u0007\u001b[2J";

    @Test
    void listKeepsEachMessageOnOneRowAndShowsBidiAndControls() throws Exception {
        try (TestServer server = TestServer.start(); SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO cli.test");
            send(c, "x@cli.test", "=?UTF-8?Q?hi=0A1_____2024-01-01_00:00:00_ceo@bank.test?=");
            send(c, "y@cli.test", "invoice \u202Efdp.exe");
            send(c, "z@cli.test", "wide" + " ".repeat(300) + "2       2024-01-01 00:00:00 fake@row.test");
            CliTest.Result list = CliTest.run("mail", "list", "--db", server.config.store.path);
            assertThat(list.code()).as(list.err()).isZero();
            assertThat(list.out().lines()).as(list.out()).hasSize(4);
            assertThat(list.out()).doesNotContain("\u202E", "\u001b", "fake@row.test")
                    .contains("invoice <U+202E>fdp.exe");
            list.out().lines().forEach(line -> assertThat(line.codePointCount(0, line.length())).isLessThanOrEqualTo(8 + 1 + 19 + 1 + 30 + 1 + 30 + 1 + 80));
        }
    }

    @Test
    void showMakesEscapeSequencesVisible() throws Exception {
        try (TestServer server = TestServer.start(); SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO cli.test");
            send(c, "x@cli.test", "title " + ESCAPES);
            CliTest.Result show = CliTest.run("mail", "show", "1", "--db", server.config.store.path);
            assertThat(show.code()).as(show.err()).isZero();
            assertThat(show.out()).doesNotContain("\u001b", "\u0007", "\r")
                    .contains("\nSubject: title ^[]0;pwned^G^[[2J\n", "\nbody ^[]0;pwned^G^[[2J\n");
        }
    }

    private static void send(SmtpClient c, String from, String subject) throws Exception {
        assertThat(c.command("MAIL FROM:<" + from + "> BODY=8BITMIME")).startsWith("250");
        assertThat(c.command("RCPT TO:<frank@example.com>")).startsWith("250");
        assertThat(c.command("DATA")).startsWith("354");
        c.send(("Subject: " + subject + "\r\n\r\nbody " + ESCAPES + "\r\n.\r\n").getBytes(StandardCharsets.UTF_8));
        assertThat(c.reply()).startsWith("250 ");
    }
}
