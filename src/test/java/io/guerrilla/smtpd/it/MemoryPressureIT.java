package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.support.ConfigFiles;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.PrivateService;
import io.guerrilla.smtpd.support.ServerProcess;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Direct-memory pressure: the packaged server under {@code -Xmx256m} (so at most 256 MiB of direct
 * memory) takes 300 clients that each send one large message in small pieces with pauses, all bodies
 * in flight at once. Every client must get an SMTP reply to its message (250, or 451/421 when memory
 * is short), never a reset or EOF without one, and every 250 must have its row (one unique token per
 * message in the Subject).
 */
class MemoryPressureIT {
    private static final int CLIENTS = 300;
    /** One write of the body: small, so many bodies are half-received at once. */
    private static final int PIECE = 16 * 1024;
    /**
     * Pause between pieces of the first {@link #SLOW_PART} octets: 300 senders at ~160 KB/s each is
     * less than the server reads, so all bodies grow together and reach the spill threshold at once,
     * the moment most memory is held. The rest follows at full speed to keep the test short.
     */
    private static final long PAUSE_MS = 100;
    private static final long SLOW_PART = 1_500_000;
    /** Bound for each step of the test; the whole run takes well under a minute on two cores. */
    private static final int REPLY_TIMEOUT_MS = 90_000;
    private static final String NO_REPLY = "no reply";

    @ParameterizedTest(name = "{0} MB")
    @ValueSource(ints = {2, 20})
    void everySlowSenderGetsAReplyAndEvery250IsStored(int megabytes, @TempDir Path dir) throws Exception {
        StoreConfig store = Databases.config("sqlite");
        store.path = dir.resolve("data/guerrilla.db").toString();
        int port = PrivateService.freePort();
        Path config = dir.resolve("guerrilla.yaml");
        // Every client comes from 127.0.0.1: the per-address cap (50) would refuse most of them. A short
        // store timeout: 300 large messages queue up behind SQLite, and a 451 is as good an answer here.
        Files.writeString(config, ConfigFiles.yaml(port, store).replace("store:\n", "store:\n  timeout: 10\n")
                + "max_connections_per_ip: 0\n");

        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        Set<String> refused = ConcurrentHashMap.newKeySet();
        Map<String, String> failures = new ConcurrentHashMap<>();
        try (ServerProcess server = ServerProcess.start(dir, port, Map.of("JAVA_OPTS", "-Xmx256m"),
                "serve", "-c", config.toString())) {
            long started = System.nanoTime();
            CountDownLatch allInData = new CountDownLatch(CLIENTS);
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            long bodySize = megabytes * 1_000_000L;
            for (int i = 0; i < CLIENTS; i++) {
                String token = "mem-" + megabytes + "-" + i + "-" + Long.toHexString(System.nanoTime());
                clients.execute(() -> {
                    String outcome = send(port, token, bodySize, allInData, failures);
                    outcomes.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
                    if (outcome.startsWith("250")) {
                        acknowledged.add(token);
                    } else if (outcome.startsWith("4")) {
                        refused.add(token);
                    }
                });
            }
            clients.shutdown();
            assertThat(clients.awaitTermination(3, TimeUnit.MINUTES)).as("clients finished").isTrue();
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);

            List<String> rows = StorageFaultsIT.rowsAfterStop(server, store);
            Set<String> stored = new HashSet<>(rows);
            Set<String> refusedButStored = new HashSet<>(refused);
            refusedButStored.retainAll(stored);
            Map<String, Integer> counts = new TreeMap<>();
            outcomes.forEach((k, v) -> counts.put(k, v.get()));
            long warnings = server.logText().lines().filter(l -> l.contains("body memory spent")).count();
            System.out.printf("memory %d MB x %d under -Xmx256m: %s; %d rows; refused but stored: %d; stored twice: %d;"
                    + " %d WARN lines 'body memory spent'; %d s%n", megabytes, CLIENTS, counts, rows.size(),
                    refusedButStored.size(), rows.size() - stored.size(), warnings, seconds);
            failures.values().stream().limit(5).forEach(f -> System.out.println("  " + f));
            server.logText().lines().filter(l -> l.contains("ERROR") || l.contains("memory"))
                    .limit(5).forEach(l -> System.out.println("  server: " + l));

            assertThat(counts.getOrDefault(NO_REPLY, 0)).as("clients cut off without an SMTP reply: %s", failures)
                    .isZero();
            int received = counts.getOrDefault("250 2.0.0", 0) + counts.getOrDefault("451 4.3.0", 0);
            assertThat(received).as("messages received whole under pressure (250, or 451 from the store)").isPositive();
            assertThat(counts.keySet()).as("only these answers").isSubsetOf("250 2.0.0", "451 4.3.0", "451 4.3.1",
                    "421 4.3.2");
            assertThat(stored).as("every 250 has its row").containsAll(acknowledged);
            assertThat(refusedButStored).as("refused but stored (the sender retries: duplicates)").isEmpty();
            assertThat(rows).as("no message stored twice").doesNotHaveDuplicates();
            assertThat(server.logText()).doesNotContain("OutOfMemoryError");
        }
    }

    /** The reply code and enhanced code, e.g. "451 4.3.1". */
    private static String code(String reply) {
        return reply.substring(0, Math.min(9, reply.length()));
    }

    /** One slow sender; returns the code of the reply its message got, or {@link #NO_REPLY}. */
    private static String send(int port, String token, long bodySize, CountDownLatch allInData,
                               Map<String, String> failures) {
        boolean counted = false;
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(REPLY_TIMEOUT_MS);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            String reply = reply(in);
            for (String cmd : new String[] {"EHLO " + token + ".test", "MAIL FROM:<slow@sender.test>",
                    "RCPT TO:<slow@example.com>", "DATA"}) {
                if (!reply.startsWith("2") && !reply.startsWith("354")) {
                    return code(reply);
                }
                out.write((cmd + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                reply = reply(in);
            }
            allInData.countDown();
            counted = true;
            if (!reply.startsWith("354")) {
                return code(reply);
            }
            // Every body is under way at once, as when many large messages arrive together.
            allInData.await(60, TimeUnit.SECONDS);
            try {
                sendBody(out, token, bodySize);
            } catch (IOException cutOff) {
                // A server may answer and close before the body ends: the answer counts if it came.
                s.setSoTimeout(2_000);
                failures.put(token, "while sending: " + cutOff);
            }
            return code(reply(in));
        } catch (IOException | InterruptedException | RuntimeException e) {
            failures.merge(token, e.toString(), (a, b) -> a + "; then " + b);
            return NO_REPLY;
        } finally {
            if (!counted) {
                allInData.countDown();
            }
        }
    }

    private static void sendBody(OutputStream out, String token, long size) throws IOException, InterruptedException {
        byte[] line = new byte[78];
        Arrays.fill(line, (byte) 'x');
        line[76] = '\r';
        line[77] = '\n';
        ByteArrayOutputStream piece = new ByteArrayOutputStream(PIECE + line.length);
        piece.writeBytes(("Subject: " + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        long sent = 0;
        while (sent < size) {
            piece.writeBytes(line);
            if (piece.size() >= PIECE) {
                sent += piece.size();
                piece.writeTo(out);
                out.flush();
                piece.reset();
                if (sent < SLOW_PART) {
                    Thread.sleep(PAUSE_MS);
                }
            }
        }
        piece.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
        piece.writeTo(out);
        out.flush();
    }

    /** One complete reply, or an exception if the connection ends (or stays silent) before it. */
    private static String reply(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            int b;
            try {
                b = in.read();
            } catch (SocketTimeoutException e) {
                throw new IOException("no reply within the timeout, got so far: " + line, e);
            }
            if (b < 0) {
                throw new IOException("EOF without a reply, got so far: " + line);
            }
            if (b == '\n') {
                String l = line.toString().strip();
                if (l.length() < 4 || l.charAt(3) != '-') {
                    return l;
                }
                line.setLength(0);
            } else {
                line.append((char) b);
            }
        }
    }
}
