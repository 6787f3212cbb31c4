package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Loopback load: 300 concurrent transactions all succeed; beside 200 slowloris connections a normal
 * client still completes a transaction. Outcomes only: how fast is for bench/ to measure, as a ratio
 * to a reference in the same run, never a wall-time bound on a shared machine. Each wait is bounded
 * only so that a hang fails instead of blocking the suite.
 */
class LoadTest {
    private static final int CONCURRENT = 300;
    private static final int SLOWLORIS = 200;

    private static String transaction(SmtpClient c, String marker) throws Exception {
        c.timeout(60_000);
        c.reply();
        c.command("EHLO load.test");
        c.command("MAIL FROM:<a@load.test>");
        c.command("RCPT TO:<x@example.com>");
        c.command("DATA");
        c.send("Subject: " + marker + "\r\n\r\nbody\r\n.\r\n");
        String reply = c.reply();
        c.command("QUIT");
        return reply;
    }

    @Test
    void concurrentTransactionsAllSucceed() throws Exception {
        // Every test client comes from 127.0.0.1, so the per-address cap is lifted here.
        try (TestServer server = TestServer.start(c -> c.maxConnectionsPerIp = 0)) {
            ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < CONCURRENT; i++) {
                int n = i;
                results.add(pool.submit(() -> {
                    go.await();
                    try (SmtpClient c = new SmtpClient(server.port())) {
                        return transaction(c, "load-" + n);
                    }
                }));
            }
            go.countDown();
            for (Future<String> f : results) {
                assertThat(f.get(120, TimeUnit.SECONDS)).startsWith("250 2.0.0 Ok: queued as ");
            }
            pool.shutdown();
            assertThat(server.rowsContaining("Subject: load-")).hasSize(CONCURRENT);
        }
    }

    @Test
    void slowlorisDoesNotStarveANormalClient() throws Exception {
        try (TestServer server = TestServer.start(c -> c.maxConnectionsPerIp = 0)) {
            List<SmtpClient> slow = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(20);
            try {
                List<Future<SmtpClient>> opening = new ArrayList<>();
                for (int i = 0; i < SLOWLORIS; i++) {
                    boolean inData = i % 2 == 0;
                    opening.add(pool.submit(() -> {
                        SmtpClient c = new SmtpClient(server.port());
                        c.timeout(60_000);
                        c.reply();
                        if (inData) {
                            c.command("EHLO slow.test");
                            c.command("MAIL FROM:<a@slow.test>");
                            c.command("RCPT TO:<x@example.com>");
                            c.command("DATA");
                        }
                        return c;
                    }));
                }
                for (Future<SmtpClient> f : opening) {
                    slow.add(f.get(120, TimeUnit.SECONDS));
                }
                // Half have begun message content, half a command line that never ends.
                for (SmtpClient c : slow) {
                    c.send("x");
                }
                assertThat(server.daemon().servers().get(0).openConnections()).isGreaterThanOrEqualTo(SLOWLORIS);

                String reply;
                try (SmtpClient normal = new SmtpClient(server.port())) {
                    reply = transaction(normal, "beside-slowloris");
                }
                assertThat(reply).startsWith("250 2.0.0 Ok: queued as ");
                // Serving the normal client dropped none of the slow ones.
                assertThat(server.daemon().servers().get(0).openConnections()).isGreaterThanOrEqualTo(SLOWLORIS);
                for (SmtpClient c : slow) {
                    c.send("x");
                }
                assertThat(server.rowsContaining("beside-slowloris")).hasSize(1);
            } finally {
                pool.shutdownNow();
                for (SmtpClient c : slow) {
                    c.close();
                }
            }
        }
    }
}
