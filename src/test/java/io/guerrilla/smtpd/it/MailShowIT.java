package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Requirements;
import io.guerrilla.smtpd.support.ServerProcess;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code guerrillad mail show} of the packaged jar on a real terminal (a pty made by script(1)) and
 * into a file: a terminal sees escape sequences as text; a file gets the stored bytes unchanged.
 */
class MailShowIT {
    /** OSC 0 (set the window title) and clear-screen, then ISO-8859-1 "café": not UTF-8. */
    private static final byte[] HOSTILE_8BIT_LINE = {0x1b, ']', '0', ';', 'p', 'w', 'n', 'e', 'd', 0x07, 0x1b, '[', '2', 'J',
            ' ', 'c', 'a', 'f', (byte) 0xE9};

    @Test
    void rawGoesUnchangedToAFileAndVisibleToATerminal(@TempDir Path dir) throws Exception {
        String script = Requirements.tool("script");
        try (TestServer server = TestServer.start(); SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO it.test");
            assertThat(c.command("MAIL FROM:<a@it.test> BODY=8BITMIME")).startsWith("250");
            assertThat(c.command("RCPT TO:<frank@example.com>")).startsWith("250");
            assertThat(c.command("DATA")).startsWith("354");
            ByteArrayOutputStream msg = new ByteArrayOutputStream();
            msg.write("Subject: hostile\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            msg.write(HOSTILE_8BIT_LINE);
            msg.write("\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
            c.send(msg.toByteArray());
            assertThat(c.reply()).startsWith("250 ");
            byte[] stored = (byte[]) server.onlyRowWithSubject("hostile").get("mail");
            String db = server.config.store.path;
            String launcher = ServerProcess.launcher().toString();

            Path file = dir.resolve("out.eml");
            Process p = new ProcessBuilder(launcher, "mail", "show", "1", "--raw", "--db", db)
                    .redirectOutput(file.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(Files.readAllBytes(file)).as("the stored bytes, 8-bit ones included").isEqualTo(stored);

            // stdin a terminal too (System.console()), and stdin redirected (only stdout a terminal).
            for (String stdin : List.of("", " < /dev/null")) {
                for (String mode : List.of("", " --raw")) {
                    String shown = onTerminal(script, launcher + " mail show 1" + mode + " --db " + db + stdin);
                    assertThat(shown).as("mode '%s' stdin '%s'", mode, stdin).doesNotContain("\u001b", "\u0007")
                            .contains("^[]0;pwned^G^[[2J caf\uFFFD");
                }
            }
            assertThat(onTerminal(script, launcher + " mail show 1 --force-raw --db " + db))
                    .as("--force-raw writes the bytes even to a terminal").contains("\u001b]0;pwned\u0007");
        }
    }

    /** What the command writes to a pseudo-terminal, as script(1) records it. */
    private static String onTerminal(String script, String command) throws Exception {
        return Commands.run(List.of(script, "-qec", command, "/dev/null"));
    }
}
