package io.guerrilla.smtpd.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.MailApi;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.Requirements;
import io.guerrilla.smtpd.support.ServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The REST API of the packaged server over real HTTP, fed by real SMTP deliveries, on every SQL
 * store (rows compressed), with Redis bodies, and across two server processes on one MariaDB.
 */
class ReadingIT {
    static final String DOMAIN = "read.test";

    /** A mailbox no other run (of this or any worktree's tests, on the shared databases) uses. */
    static String fresh(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8) + "@" + DOMAIN;
    }

    static String yaml(int smtp, int http, StoreConfig s, String extra) {
        return """
            listen_interface: 127.0.0.1:%d
            host_name: mx.read.test
            allowed_hosts: [%s]
            http:
              listen: 127.0.0.1:%d
            %s
            store:
              type: %s
              path: %s
              host: %s
              user: %s
              password: %s
              database: %s
              pool_size: 2
              save_process: "%s"
            """.formatted(smtp, DOMAIN, http, extra, s.type, s.path, s.host, s.user, s.password, s.database, s.saveProcess);
    }

    static byte[] message(String from, String subject, String body) {
        return ("From: " + from + "\r\nTo: x@" + DOMAIN + "\r\nSubject: " + subject
                + "\r\nMessage-ID: <" + UUID.randomUUID() + "@client.test>\r\n\r\n" + body + "\r\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "mysql", "postgres"})
    void everyEndpointOnEachStoreWithCompressedRows(String type, @TempDir Path dir) throws Exception {
        StoreConfig store = Databases.config(type);
        store.path = dir.resolve("data/mail.db").toString();
        store.saveProcess = "HeadersParser|Header|Hasher|Compressor|SQL";
        Databases.requireWithSchema(store);
        int smtp = Ports.free();
        int httpPort = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, yaml(smtp, httpPort, store, ""));
        String box = fresh("alice");
        try (ServerProcess server = ServerProcess.startWithHttp(dir, smtp, "serve", "-c", cfg.toString())) {
            server.awaitLog("reading mail over HTTP at http://127.0.0.1:" + httpPort + "/");
            MailApi api = new MailApi("http://127.0.0.1:" + httpPort);
            String b = MailApi.mailbox(box);

            List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                byte[] m = message(i % 2 == 0 ? "even@sender.test" : "odd@other.test", "number " + i + " 50%_off",
                        "body " + i + "\r\n.leading dot");
                sent.add(m);
                assertThat(MailApi.deliver(smtp, "s@sender.test", box, m)).startsWith("250");
            }

            // Newest first, two per page, by cursor: every message exactly once, in order.
            List<Long> ids = new ArrayList<>();
            String next = b + "/messages?limit=2";
            while (next != null) {
                JsonNode page = api.json(next);
                page.get("messages").forEach(m -> ids.add(m.get("id").asLong()));
                next = page.get("next_before").isNull() ? null : b + "/messages?limit=2&before=" + page.get("next_before").asLong();
            }
            assertThat(ids).hasSize(5).isSortedAccordingTo((x, y) -> Long.compare(y, x));
            JsonNode newest = api.json(b + "/messages?limit=1").get("messages").get(0);
            assertThat(newest.get("subject").asText()).isEqualTo("number 4 50%_off");
            assertThat(newest.get("to").asText()).isEqualTo(box);

            // The address's domain is case-insensitive; the mailbox is the same.
            String upperDomain = box.substring(0, box.indexOf('@') + 1) + DOMAIN.toUpperCase();
            assertThat(api.json(MailApi.mailbox(upperDomain) + "/messages").get("messages")).hasSize(5);

            // Search: from and subject substrings (LIKE wildcards literal), date range.
            assertThat(api.json(b + "/messages?from=ODD@").get("messages")).hasSize(2);
            assertThat(api.json(b + "/messages?subject=3%2050%25_").get("messages")).hasSize(1);
            assertThat(api.json(b + "/messages?subject=%25").get("messages")).hasSize(5);
            assertThat(api.json(b + "/messages?subject=x%25").get("messages")).isEmpty();
            String yesterday = Instant.now().minus(1, ChronoUnit.DAYS).toString();
            String tomorrow = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.DAYS).toString().substring(0, 10);
            assertThat(api.json(b + "/messages?since=" + yesterday + "&until=" + tomorrow).get("messages")).hasSize(5);
            assertThat(api.json(b + "/messages?until=" + yesterday).get("messages")).isEmpty();

            // One message parsed; the raw one byte-exact after the trace headers the server added.
            long firstId = ids.get(4);
            JsonNode one = api.json(b + "/messages/" + firstId);
            assertThat(one.get("subject").asText()).isEqualTo("number 0 50%_off");
            assertThat(one.get("text").asText()).startsWith("body 0\r\n.leading dot");
            assertThat(one.get("envelope").get("mail_from").asText()).isEqualTo("s@sender.test");
            MailApi.Response raw = api.get(b + "/messages/" + firstId + "/raw");
            assertThat(raw.status()).isEqualTo(200);
            assertThat(raw.header("Content-Type")).isEqualTo("message/rfc822");
            assertThat(raw.header("Content-Disposition")).startsWith("attachment;");
            assertThat(new String(raw.body(), StandardCharsets.UTF_8)).startsWith("Delivered-To: " + box + "\r\n")
                    .endsWith(new String(sent.get(0), StandardCharsets.UTF_8));

            // Wait: answers as soon as a newer message exists.
            long newestId = ids.get(0);
            CompletableFuture<JsonNode> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return api.json(b + "/messages?after=" + newestId + "&wait=50");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(MailApi.deliver(smtp, "s@sender.test", box, message("late@sender.test", "late", "late"))).startsWith("250");
            JsonNode woke = waiting.get(MailApi.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(woke.get("messages")).hasSize(1);
            assertThat(woke.get("messages").get(0).get("subject").asText()).isEqualTo("late");
            assertThat(api.json(b + "/messages?after=" + woke.get("last_id").asLong()).get("messages")).isEmpty();

            // Deletes: one, then the whole mailbox.
            assertThat(api.delete(b + "/messages/" + firstId).status()).isEqualTo(204);
            assertThat(api.get(b + "/messages/" + firstId).status()).isEqualTo(404);
            assertThat(api.delete(b + "/messages/" + firstId).status()).isEqualTo(404);
            assertThat(api.delete(b + "/messages").json().get("deleted").asInt()).isEqualTo(5);
            assertThat(api.json(b + "/messages").get("messages")).isEmpty();

            // Another mailbox's id is not reachable through this one.
            String other = fresh("bob");
            assertThat(MailApi.deliver(smtp, "s@sender.test", other, message("x@y.test", "private", "secret"))).startsWith("250");
            long otherId = api.json(MailApi.mailbox(other) + "/messages").get("messages").get(0).get("id").asLong();
            assertThat(api.get(b + "/messages/" + otherId).status()).isEqualTo(404);
            assertThat(api.get(b + "/messages/" + otherId + "/raw").status()).isEqualTo(404);
            assertThat(api.delete(b + "/messages/" + otherId).status()).isEqualTo(404);
            assertThat(api.get(MailApi.mailbox(other) + "/messages/" + otherId).status()).isEqualTo(200);
        }
    }

    @Test
    void eventStreamResumesAfterADroppedConnectionWithLastEventId(@TempDir Path dir) throws Exception {
        StoreConfig store = Databases.config("sqlite");
        store.path = dir.resolve("data/mail.db").toString();
        int smtp = Ports.free();
        int httpPort = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, yaml(smtp, httpPort, store, ""));
        String box = fresh("sse");
        try (ServerProcess server = ServerProcess.startWithHttp(dir, smtp, "serve", "-c", cfg.toString())) {
            server.awaitLog("reading mail over HTTP");
            String url = "http://127.0.0.1:" + httpPort + MailApi.mailbox(box) + "/events";
            long first;
            try (EventClient events = new EventClient(url, null)) {
                events.awaitLine(": open");
                assertThat(MailApi.deliver(smtp, "s@sender.test", box, message("a@b.test", "one", "1"))).startsWith("250");
                first = events.awaitEventId();
            }
            // Missed while disconnected.
            assertThat(MailApi.deliver(smtp, "s@sender.test", box, message("a@b.test", "two", "2"))).startsWith("250");
            assertThat(MailApi.deliver(smtp, "s@sender.test", box, message("a@b.test", "three", "3"))).startsWith("250");
            try (EventClient events = new EventClient(url, first)) {
                long second = events.awaitEventId();
                long third = events.awaitEventId();
                assertThat(second).isGreaterThan(first);
                assertThat(third).isGreaterThan(second);
                // And live again after the catch-up.
                assertThat(MailApi.deliver(smtp, "s@sender.test", box, message("a@b.test", "four", "4"))).startsWith("250");
                assertThat(events.awaitEventId()).isGreaterThan(third);
                assertThat(events.dataLines()).anySatisfy(d -> assertThat(d).contains("\"subject\":\"three\""));
            }
        }
    }

    /** One node receives (SMTP only), another serves the stream (--no-smtp): the database is the only link. */
    @Test
    void mailReceivedByOneProcessIsStreamedByAnotherOnTheSameMariaDb(@TempDir Path dir) throws Exception {
        StoreConfig store = Databases.config("mysql");
        Databases.requireWithSchema(store);
        int smtp = Ports.free();
        int httpPort = Ports.free();
        Path receiverDir = Files.createDirectories(dir.resolve("receiver"));
        Path readerDir = Files.createDirectories(dir.resolve("reader"));
        Files.writeString(receiverDir.resolve("g.yaml"), yaml(smtp, httpPort, store, ""));
        Files.writeString(readerDir.resolve("g.yaml"), yaml(smtp, httpPort, store, ""));
        String box = fresh("cluster");
        try (ServerProcess receiver = ServerProcess.start(receiverDir, smtp, "serve", "-c", "g.yaml");
             ServerProcess reader = ServerProcess.startWithHttp(readerDir, httpPort, "serve", "--no-smtp", "-c", "g.yaml")) {
            reader.awaitLog("reading mail over HTTP");
            try (EventClient events = new EventClient("http://127.0.0.1:" + httpPort + MailApi.mailbox(box) + "/events", null)) {
                events.awaitLine(": open");
                assertThat(MailApi.deliver(smtp, "s@sender.test", box, message("a@b.test", "across", "x"))).startsWith("250");
                long id = events.awaitEventId();
                assertThat(events.dataLines()).anySatisfy(d -> assertThat(d).contains("\"subject\":\"across\""));
                assertThat(new MailApi("http://127.0.0.1:" + httpPort).json(MailApi.mailbox(box) + "/messages/" + id)
                        .get("subject").asText()).isEqualTo("across");
            }
            assertThat(receiver.logText()).doesNotContain("reading mail over HTTP");
        }
    }

    /** An SSE client as people run one: curl, with the connection dropped by ending the process. */
    static final class EventClient implements AutoCloseable {
        private final Process curl;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final List<String> data = new ArrayList<>();

        EventClient(String url, Long lastEventId) throws Exception {
            List<String> cmd = new ArrayList<>(List.of(Requirements.tool("curl"), "-sN"));
            if (lastEventId != null) {
                cmd.addAll(List.of("-H", "Last-Event-ID: " + lastEventId));
            }
            cmd.add(url);
            curl = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(curl.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (Exception ignored) {
                    // The process was ended: the connection dropped on purpose.
                }
            }, "sse-test-reader");
            reader.setDaemon(true);
            reader.start();
        }

        String awaitLine(String prefix) throws Exception {
            while (true) {
                String line = lines.poll(MailApi.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                if (line == null) {
                    throw new AssertionError("no line starting \"" + prefix + "\" from the event stream");
                }
                if (line.startsWith("data: ")) {
                    data.add(line);
                }
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
        }

        long awaitEventId() throws Exception {
            long id = Long.parseLong(awaitLine("id: ").substring(4).trim());
            awaitLine("data: ");
            return id;
        }

        List<String> dataLines() {
            return data;
        }

        @Override
        public void close() throws Exception {
            curl.destroy();
            curl.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
