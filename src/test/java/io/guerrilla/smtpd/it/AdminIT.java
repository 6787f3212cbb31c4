package io.guerrilla.smtpd.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.ServerProcess;
import io.guerrilla.smtpd.support.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.net.SocketTimeoutException;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The admin listener of the packaged server, over real HTTP. */
class AdminIT {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void healthReadinessMetricsAndStatsMatchTheMailSent(@TempDir Path dir) throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, "listen_interface: 127.0.0.1:" + port + "\nallowed_hosts: [m.test]\nmax_size: 2000\n"
                + "node_name: a1\nstore:\n  path: data/mail.db\nadmin:\n  listen: 127.0.0.1:" + admin + "\n");
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString())) {
            // The admin listener opens just after the SMTP port the start waits for.
            server.awaitLog("admin listening");
            String base = "http://127.0.0.1:" + admin;
            assertThat(get(base + "/healthz").statusCode()).isEqualTo(200);
            assertThat(get(base + "/readyz").statusCode()).isEqualTo(200);
            assertThat(get(base + "/nothing-here").statusCode()).isEqualTo(404);
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);

            String before = get(base + "/metrics").body();
            // Every series an alert may watch is there at 0 before its first event, beside the JVM's and the build's.
            assertThat(before).contains("guerrilla_messages_total{code=\"552\",node=\"a1\",outcome=\"rejected\"} 0.0",
                    "guerrilla_recipients_refused_total{code=\"550\",node=\"a1\",status=\"5.7.1\"} 0.0",
                    "guerrilla_connections_rejected_total{node=\"a1\",reason=\"max_clients\"} 0.0",
                    "jvm_memory_used_bytes{", "jvm_gc_", "jvm_threads_live_threads", "process_files_open_files",
                    "process_uptime_seconds", "system_cpu_count")
                    .containsPattern("(?m)^guerrillad_build_info\\{java=\"[^\"]+\",node=\"a1\",version=\"(?!dev\")[^\"]+\"} 1(\\.0)?$");
            try (SmtpClient relay = new SmtpClient(port)) {
                relay.reply();
                relay.command("EHLO relay.test");
                relay.command("MAIL FROM:<a@b.test>");
                assertThat(relay.command("RCPT TO:<x@elsewhere.test>")).startsWith("550 5.7.1");
            }
            assertThat(value(get(base + "/metrics").body(), "guerrilla_recipients_refused_total{code=\"550\",node=\"a1\",status=\"5.7.1\"}"))
                    .isEqualTo(1);
            for (int i = 0; i < 3; i++) {
                assertThat(SmtpClient.deliver(port, "a@b.test", "n" + i + "@m.test", "metrics " + i)).startsWith("250 2.0.0");
            }
            try (SmtpClient big = new SmtpClient(port)) {
                big.reply();
                big.command("EHLO big.test");
                big.command("MAIL FROM:<a@b.test>");
                big.command("RCPT TO:<big@m.test>");
                big.command("DATA");
                assertThat(big.command("Subject: big\r\n\r\n" + "x".repeat(900) + "\r\n" + "y".repeat(900) + "\r\n"
                        + "z".repeat(900) + "\r\n.")).startsWith("552 5.3.4");
            }
            String after = get(base + "/metrics").body();

            assertThat(value(after, "guerrilla_messages_total{code=\"250\",node=\"a1\",outcome=\"accepted\"}")
                    - value(before, "guerrilla_messages_total{code=\"250\",node=\"a1\",outcome=\"accepted\"}")).isEqualTo(3);
            assertThat(value(after, "guerrilla_messages_total{code=\"552\",node=\"a1\",outcome=\"rejected\"}")).isEqualTo(1);
            assertThat(value(after, "guerrilla_store_latency_seconds_count{node=\"a1\"}")
                    - value(before, "guerrilla_store_latency_seconds_count{node=\"a1\"}")).isEqualTo(3);
            assertThat(value(after, "guerrilla_store_batch_size_sum{node=\"a1\"}")
                    - value(before, "guerrilla_store_batch_size_sum{node=\"a1\"}")).isEqualTo(3);
            assertThat(value(after, "guerrilla_connections_total{node=\"a1\"}")
                    - value(before, "guerrilla_connections_total{node=\"a1\"}")).isEqualTo(5);
            assertThat(value(after, "guerrilla_received_bytes_total{node=\"a1\"}")
                    - value(before, "guerrilla_received_bytes_total{node=\"a1\"}")).isGreaterThan(2700);
            assertThat(after).contains("guerrilla_store_latency_seconds_bucket{node=\"a1\",le=");

            JsonNode stats = new ObjectMapper().readTree(get(base + "/api/stats").body());
            assertThat(stats.get("messages_accepted").asLong()).isEqualTo(3);
            assertThat(stats.get("messages_rejected").get("552").asLong()).isEqualTo(1);
            assertThat(stats.get("listeners").get(0).asText()).isEqualTo("127.0.0.1:" + port);
            assertThat(stats.get("draining").asBoolean()).isFalse();

            // Unreachable store: readiness fails, liveness does not.
            Path db = dir.resolve("data/mail.db");
            Files.delete(db);
            Files.createDirectory(db);
            assertThat(get(base + "/readyz").statusCode()).isEqualTo(503);
            assertThat(get(base + "/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void tooManyConnectionsAreCountedByReason(@TempDir Path dir) throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, "listen_interface: 127.0.0.1:" + port + "\nallowed_hosts: [m.test]\nmax_clients: 1\n"
                + "node_name: a1\nstore:\n  path: data/mail.db\nadmin:\n  listen: 127.0.0.1:" + admin + "\n");
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString());
             SmtpClient first = firstOfOne(port)) {
            server.awaitLog("admin listening");
            try (SmtpClient second = new SmtpClient(port)) {
                assertThat(second.reply()).startsWith("421 4.7.0");
            }
            assertThat(value(get("http://127.0.0.1:" + admin + "/metrics").body(),
                    "guerrilla_connections_rejected_total{node=\"a1\",reason=\"max_clients\"}")).isGreaterThanOrEqualTo(1);
        }
    }

    /**
     * The slowloris that blinded the JDK HttpServer's single dispatcher: 100 connections each send a
     * request line and one header and then stop. A fresh client must still get /healthz answered;
     * the bounded wait (the request timeout) is the failure, not a measured time.
     */
    @Test
    void healthzAnswersWhileAHundredClientsStallMidHeaders(@TempDir Path dir) throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, "listen_interface: 127.0.0.1:" + port + "\nallowed_hosts: [m.test]\n"
                + "node_name: a1\nstore:\n  path: data/mail.db\nadmin:\n  listen: 127.0.0.1:" + admin + "\n");
        List<Socket> stalled = new ArrayList<>();
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString())) {
            server.awaitLog("admin listening");
            for (int i = 0; i < 100; i++) {
                Socket s = new Socket("127.0.0.1", admin);
                stalled.add(s);
                s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
            for (int round = 0; round < 3; round++) {
                HttpResponse<String> r = get("http://127.0.0.1:" + admin + "/healthz");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("ok\n");
            }
            // The stalled requests are still open (not answered, not closed): they were really stalled.
            Socket first = stalled.get(0);
            first.setSoTimeout(200);
            assertThatThrownBy(() -> first.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
    }

    /** The start-up probe's connection may still count for a moment against max_clients: 1. */
    private static SmtpClient firstOfOne(int port) throws Exception {
        for (int attempt = 0; attempt < 50; attempt++) {
            SmtpClient c = new SmtpClient(port);
            if (c.reply().startsWith("220")) {
                return c;
            }
            c.close();
            Thread.sleep(100);
        }
        throw new AssertionError("never got a 220 on " + port);
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The sample's value, 0 when absent (Micrometer creates tagged series on first use). */
    static double value(String exposition, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(exposition);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
