package io.guerrilla.smtpd.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.ServerProcess;
import io.guerrilla.smtpd.support.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** log_file, log_format and SIGUSR1 on the packaged server, the way logrotate uses them. */
class LogIT {

    @Test
    void sigusr1ReopensARotatedLogFile(@TempDir Path dir) throws Exception {
        int port = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Path log = dir.resolve("guerrillad.log");
        Files.writeString(cfg, "listen_interface: 127.0.0.1:" + port + "\nallowed_hosts: [l.test]\n"
                + "store:\n  path: data/mail.db\nlog_file: " + log + "\n");
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString())) {
            String first = SmtpClient.deliver(port, "a@b.test", "one@l.test", "before rotation");
            server.awaitLog(log, "message stored queue_id=" + queueId(first), Duration.ofSeconds(10));

            Path rotated = dir.resolve("guerrillad.log.1");
            Files.move(log, rotated);
            server.signal("USR1");
            server.awaitLog(log, "log reopened", Duration.ofSeconds(10));
            String second = SmtpClient.deliver(port, "a@b.test", "two@l.test", "after rotation");
            server.awaitLog(log, "message stored queue_id=" + queueId(second), Duration.ofSeconds(10));

            assertThat(Files.readString(rotated)).contains(queueId(first)).doesNotContain(queueId(second));
            assertThat(Files.readString(log)).doesNotContain(queueId(first));
        }
    }

    @Test
    void jsonLinesCarryConnectionAndMessageFields(@TempDir Path dir) throws Exception {
        int port = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Path log = dir.resolve("guerrillad.json");
        Files.writeString(cfg, "listen_interface: 127.0.0.1:" + port + "\nallowed_hosts: [l.test]\n"
                + "store:\n  path: data/mail.db\nlog_file: " + log + "\nlog_format: json\n");
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString())) {
            String reply = SmtpClient.deliver(port, "a@b.test", "one@l.test", "json");
            server.awaitLog(log, "\"messages\":1", Duration.ofSeconds(10));

            ObjectMapper json = new ObjectMapper();
            List<JsonNode> lines = new ArrayList<>();
            for (String line : Files.readAllLines(log)) {
                lines.add(json.readTree(line));
            }
            JsonNode stored = lines.stream().filter(l -> l.path("message").asText().equals("message stored"))
                    .findFirst().orElseThrow();
            assertThat(kv(stored, "queue_id")).isEqualTo(queueId(reply));
            assertThat(stored.get("code").isInt()).as("numbers stay numbers").isTrue();
            assertThat(kv(stored, "code")).isEqualTo("250");
            assertThat(stored.get("rcpts").asInt()).isEqualTo(1);
            assertThat(kv(stored, "to")).isEqualTo("<one@l.test>");
            assertThat(OffsetDateTime.parse(kv(stored, "time"))).isNotNull();
            assertThat(lines).noneMatch(l -> l.has("arguments") || l.has("kvpList") || l.path("message").asText().contains("{}"));
            assertThat(lines).anyMatch(l -> l.path("message").asText().matches("listening on 127\\.0\\.0\\.1:" + port + "\\b.*"));
            String conn = kv(stored, "conn");
            assertThat(conn).isNotBlank();
            // The start-up probe's connection comes first; find the close of the one that sent mail.
            JsonNode closed = lines.stream().filter(l -> l.path("message").asText().equals("connection closed")
                    && kv(l, "conn").equals(conn)).findFirst().orElseThrow();
            assertThat(kv(closed, "client")).isEqualTo("127.0.0.1");
            assertThat(kv(closed, "messages")).isEqualTo("1");
            assertThat(kv(closed, "duration_ms")).matches("\\d+");
        }
    }

    /** Key-value pairs are top-level fields of the line. */
    private static String kv(JsonNode line, String key) {
        if (!line.has(key)) {
            throw new AssertionError("no " + key + " in " + line);
        }
        return line.get(key).asText();
    }

    private static String queueId(String reply) {
        assertThat(reply).startsWith("250 2.0.0 Ok: queued as ");
        return reply.substring("250 2.0.0 Ok: queued as ".length()).trim();
    }
}
