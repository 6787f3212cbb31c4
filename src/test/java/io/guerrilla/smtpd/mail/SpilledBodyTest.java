package io.guerrilla.smtpd.mail;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Bodies above spill_threshold go through a temporary file and are stored byte for byte; what follows a body waits its turn. */
class SpilledBodyTest {

    /** Lines of varied content, dot-stuffed where a line starts with a dot, as a client would send them. */
    private static byte[][] message(int lines) {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        byte[] head = "Subject: spill-test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        wire.writeBytes(head);
        content.writeBytes(head);
        for (int i = 0; i < lines; i++) {
            String line = (i % 7 == 0 ? "." : "") + "line " + i + " " + "x".repeat(i % 90) + "\r\n";
            content.writeBytes(line.getBytes(StandardCharsets.US_ASCII));
            wire.writeBytes(((line.startsWith(".") ? "." : "") + line).getBytes(StandardCharsets.US_ASCII));
        }
        wire.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
        return new byte[][] {wire.toByteArray(), content.toByteArray()};
    }

    /** Greeting to 354 for one recipient, a@example.com. */
    private static void startData(SmtpClient c) throws Exception {
        c.reply();
        c.command("EHLO client.test");
        assertThat(c.command("MAIL FROM:<s@remote.test>")).startsWith("250");
        assertThat(c.command("RCPT TO:<a@example.com>")).startsWith("250");
        assertThat(c.command("DATA")).startsWith("354");
    }

    @Test
    void largeBodyIsStoredExactlyAndLeavesNoFile(@TempDir Path spill) throws Exception {
        try (TestServer server = TestServer.start(cfg -> {
            cfg.spillThreshold = 4096;
            cfg.spillDirectory = spill.toString();
        })) {
            byte[][] m = message(20_000); // about 1 MiB: many write-behind chunks
            try (SmtpClient c = new SmtpClient(server.port())) {
                c.reply();
                c.command("EHLO client.test");
                assertThat(c.command("MAIL FROM:<s@remote.test>")).startsWith("250");
                assertThat(c.command("RCPT TO:<a@example.com>")).startsWith("250");
                assertThat(c.command("RCPT TO:<b@example.com>")).startsWith("250");
                assertThat(c.command("DATA")).startsWith("354");
                c.send(m[0]);
                assertThat(c.reply()).startsWith("250 2.0.0");
            }
            List<Map<String, Object>> rows = server.rows();
            assertThat(rows).hasSize(2);
            for (Map<String, Object> row : rows) {
                byte[] mail = (byte[]) row.get("mail");
                byte[] body = Arrays.copyOfRange(mail, mail.length - m[1].length, mail.length);
                assertThat(body).isEqualTo(m[1]);
                assertThat(row.get("subject")).isEqualTo("spill-test");
            }
            try (Stream<Path> left = Files.list(spill)) {
                assertThat(left).isEmpty();
            }
        }
    }

    @Test
    void smallBodyBelowThresholdIsStoredExactly(@TempDir Path spill) throws Exception {
        try (TestServer server = TestServer.start(cfg -> cfg.spillDirectory = spill.toString())) {
            byte[][] m = message(50);
            try (SmtpClient c = new SmtpClient(server.port())) {
                startData(c);
                c.send(m[0]);
                assertThat(c.reply()).startsWith("250 2.0.0");
            }
            byte[] mail = (byte[]) server.rows().get(0).get("mail");
            assertThat(Arrays.copyOfRange(mail, mail.length - m[1].length, mail.length)).isEqualTo(m[1]);
        }
    }

    @Test
    void spillFileThatCannotBeWrittenAnswers451AndKeepsTheSessionInSync(@TempDir Path dir) throws Exception {
        Path spill = Files.createDirectory(dir.resolve("spill"));
        try (TestServer server = TestServer.start(cfg -> {
            cfg.spillThreshold = 1024;
            cfg.spillDirectory = spill.toString();
        }); SmtpClient c = new SmtpClient(server.port())) {
            Files.delete(spill);
            startData(c);
            c.send(message(200)[0]);
            assertThat(c.reply()).isEqualTo("451 4.3.0 Error: message not stored, try again later");
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
            assertThat(server.rows()).isEmpty();
        }
    }

    /** Commands sent right behind the end of data wait, beyond the read-ahead bound too, and none is lost. */
    @Test
    void commandsPipelinedBehindTheMessageAreAllAnswered() throws Exception {
        try (TestServer server = TestServer.start(); SmtpClient c = new SmtpClient(server.port())) {
            startData(c);
            int noops = 12_000; // 72,000 octets: more than the 64 KiB read while a message is stored
            c.send(new String(message(50)[0], StandardCharsets.US_ASCII) + "NOOP\r\n".repeat(noops) + "QUIT\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as");
            for (int i = 0; i < noops; i++) {
                assertThat(c.reply()).as("NOOP %d", i).isEqualTo("250 2.0.0 Ok");
            }
            assertThat(c.reply()).isEqualTo("221 2.0.0 Bye");
            assertThat(server.rows()).hasSize(1);
        }
    }
}
