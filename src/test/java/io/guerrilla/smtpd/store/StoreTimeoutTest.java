package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "No refused message is stored": many large messages finish at once and queue for the one SQLite writer
 * behind a short store timeout. Each client gets 250 or 451; a 250 has its row and a 451 has none (the
 * sender will retry it, and a row would be a duplicate). Before the timeout claimed messages and batches
 * were bounded by bytes, the writer put all 40 in one transaction that outlasted the timeout: most got 451
 * and were committed anyway.
 */
class StoreTimeoutTest {
    private static final int CLIENTS = 40;
    private static final int BODY_BYTES = 2_000_000;

    @Test
    void aMessageAnswered451IsNeverStoredAndA250AlwaysIs() throws Exception {
        Map<String, String> replies = new ConcurrentHashMap<>();
        try (TestServer server = TestServer.start(c -> c.store.timeout = 1)) {
            CyclicBarrier allBodiesSent = new CyclicBarrier(CLIENTS);
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            List<Future<?>> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                String token = "timeout-token-" + i;
                clients.add(pool.submit(() -> {
                    try (SmtpClient c = new SmtpClient(server.port())) {
                        c.timeout(60_000);
                        c.reply();
                        c.command("EHLO burst.test");
                        c.command("MAIL FROM:<a@burst.test>");
                        c.command("RCPT TO:<x@example.com>");
                        c.command("DATA");
                        c.send("Subject: " + token + "\r\n\r\n");
                        c.send(body());
                        // All end their DATA together, so every message reaches the store queue at once.
                        allBodiesSent.await(60, TimeUnit.SECONDS);
                        c.send(".\r\n");
                        replies.put(token, c.reply());
                    }
                    return null;
                }));
            }
            for (Future<?> f : clients) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            // A message answered 451 at the timeout may still sit in a transaction: look once the writer is done.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (finished(server) < CLIENTS && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(finished(server)).as("every message committed or failed").isEqualTo(CLIENTS);

            Map<String, Integer> rows = new HashMap<>();
            try (Connection c = server.connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT subject FROM new_mail")) {
                while (rs.next()) {
                    rows.merge(rs.getString(1), 1, Integer::sum);
                }
            }
            assertThat(replies).hasSize(CLIENTS);
            assertThat(replies.values()).allSatisfy(r -> assertThat(r).matches("(250 2\\.0\\.0|451 4\\.3\\.0) .*"));
            List<String> acknowledgedWithoutRow = new ArrayList<>();
            List<String> refusedButStored = new ArrayList<>();
            replies.forEach((token, reply) -> {
                boolean stored = rows.containsKey(token);
                if (reply.startsWith("250") && !stored) {
                    acknowledgedWithoutRow.add(token);
                } else if (!reply.startsWith("250") && stored) {
                    refusedButStored.add(token);
                }
            });
            System.out.printf("%d x %d octets, store.timeout 1 s: %d got 250, %d got 451, refused but stored: %d%n",
                    CLIENTS, BODY_BYTES, replies.values().stream().filter(r -> r.startsWith("250")).count(),
                    replies.values().stream().filter(r -> r.startsWith("451")).count(), refusedButStored.size());
            assertThat(acknowledgedWithoutRow).as("250 without a row").isEmpty();
            assertThat(refusedButStored).as("451 but stored").isEmpty();
            assertThat(rows.values()).as("no message stored twice").allMatch(n -> n == 1);
            assertThat(replies.values()).as("the store still takes what fits in the timeout")
                    .anyMatch(r -> r.startsWith("250"));
        }
    }

    private static long finished(TestServer server) {
        StoreStats s = server.daemon().storeStats();
        return s.committed() + s.failed();
    }

    private static byte[] body() {
        byte[] line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[BODY_BYTES / line.length * line.length];
        for (int i = 0; i < body.length; i += line.length) {
            System.arraycopy(line, 0, body, i, line.length);
        }
        return body;
    }
}
