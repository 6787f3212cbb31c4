package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every abuse limit over a real socket: the reply, the close, and that the server still serves. */
class AbuseLimitsTest {

    private static void transaction(SmtpClient c, String marker) throws Exception {
        assertThat(c.command("MAIL FROM:<a@abuse.test>")).isEqualTo("250 2.1.0 Ok");
        assertThat(c.command("RCPT TO:<x@example.com>")).isEqualTo("250 2.1.5 Ok");
        assertThat(c.command("DATA")).startsWith("354 ");
        c.send("Subject: " + marker + "\r\n\r\nbody\r\n.\r\n");
        assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
    }

    /** Sends one byte every 200 ms until the server answers (or closes); at most 10 seconds. */
    private static String trickleUntilAnswered(SmtpClient c, String oneByte) throws Exception {
        String answer = "";
        for (int i = 0; i < 50 && answer.isEmpty(); i++) {
            try {
                c.send(oneByte);
            } catch (IOException closed) {
                break;
            }
            answer = c.drain(200);
        }
        return answer;
    }

    /** The server counts a connection as gone when it sees the close; wait for that rather than race it. */
    private static SmtpClient connectWhenAdmitted(TestServer server) throws Exception {
        for (int i = 0; i < 100; i++) {
            SmtpClient c = new SmtpClient(server.port());
            String banner = c.reply();
            if (banner.startsWith("220 ")) {
                return c;
            }
            c.close();
            Thread.sleep(50);
        }
        throw new AssertionError("never admitted");
    }

    @Test
    void maxClientsRefusesWith421AndAcceptGoesOn() throws Exception {
        try (TestServer server = TestServer.start(c -> c.maxClients = 2)) {
            List<SmtpClient> open = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                open.add(connectWhenAdmitted(server));
            }
            for (int i = 0; i < 5; i++) {
                try (SmtpClient over = new SmtpClient(server.port())) {
                    assertThat(over.reply()).isEqualTo("421 4.7.0 Error: too many connections, try again later");
                    assertThat(over.closedByServer()).isTrue();
                }
            }
            open.remove(0).close();
            try (SmtpClient c = connectWhenAdmitted(server)) {
                assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
            }
            for (SmtpClient c : open) {
                c.close();
            }
        }
    }

    @Test
    void maxConnectionsPerIp() throws Exception {
        try (TestServer server = TestServer.start(c -> c.maxConnectionsPerIp = 3)) {
            List<SmtpClient> open = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                open.add(connectWhenAdmitted(server));
            }
            try (SmtpClient over = new SmtpClient(server.port())) {
                assertThat(over.reply()).isEqualTo("421 4.7.0 Error: too many connections from your address, try again later");
                assertThat(over.closedByServer()).isTrue();
            }
            assertThat(open.get(2).command("NOOP")).as("admitted clients unaffected").isEqualTo("250 2.0.0 Ok");
            open.remove(0).close();
            try (SmtpClient c = connectWhenAdmitted(server)) {
                c.command("EHLO a.test");
                transaction(c, "per-ip-after-release");
            }
            for (SmtpClient c : open) {
                c.close();
            }
            assertThat(server.rowsContaining("per-ip-after-release")).hasSize(1);
        }
    }

    @Test
    void connectionRatePerIp() throws Exception {
        try (TestServer server = TestServer.start(c -> c.connectionRatePerIp = 5)) {
            for (int i = 0; i < 5; i++) {
                try (SmtpClient c = new SmtpClient(server.port())) {
                    assertThat(c.reply()).startsWith("220 ");
                }
            }
            try (SmtpClient c = new SmtpClient(server.port())) {
                assertThat(c.reply()).isEqualTo("421 4.7.0 Error: too many connections per minute from your address, try again later");
                assertThat(c.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void maxRecipients() throws Exception {
        try (TestServer server = TestServer.start(c -> c.maxRecipients = 2);
             SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO a.test");
            c.command("MAIL FROM:<a@b.test>");
            assertThat(c.command("RCPT TO:<r1@example.com>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("RCPT TO:<r2@example.com>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("RCPT TO:<r3@example.com>")).isEqualTo("452 4.5.3 Error: too many recipients");
            c.command("DATA");
            c.send("Subject: max-rcpt\r\n\r\nx\r\n.\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(server.rowsContaining("max-rcpt")).extracting(r -> r.get("recipient"))
                    .containsExactly("r1@example.com", "r2@example.com");
        }
    }

    @Test
    void maxBadCommands() throws Exception {
        try (TestServer server = TestServer.start(c -> c.maxBadCommands = 3);
             SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            assertThat(c.command("XYZZY")).startsWith("500 ");
            assertThat(c.command("NOOP " + "x".repeat(600))).startsWith("500 ");
            assertThat(c.command("NOOP")).as("good commands do not reset the count").isEqualTo("250 2.0.0 Ok");
            assertThat(c.command("PLUGH")).isEqualTo("421 4.7.0 Error: too many errors, closing connection");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void maxMessagesPerConnection() throws Exception {
        try (TestServer server = TestServer.start(c -> c.maxMessagesPerConnection = 2);
             SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO a.test");
            transaction(c, "per-conn-1");
            transaction(c, "per-conn-2");
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
            assertThat(c.command("MAIL FROM:<a@b.test>")).isEqualTo("421 4.7.0 Error: too many messages on one connection, closing connection");
            assertThat(c.closedByServer()).isTrue();
            assertThat(server.rowsContaining("per-conn-")).hasSize(2);
        }
    }

    @Test
    void idleTimeout() throws Exception {
        try (TestServer server = TestServer.start(c -> c.timeout = 1);
             SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            assertThat(c.reply()).isEqualTo("421 4.4.2 Error: timeout exceeded, closing connection");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    /** The timeout counts from the last complete command: trickling a command line does not reset it. */
    @Test
    void tricklingACommandLineTimesOut() throws Exception {
        try (TestServer server = TestServer.start(c -> c.timeout = 1);
             SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            long start = System.nanoTime();
            assertThat(trickleUntilAnswered(c, "N")).isEqualTo("421 4.4.2 Error: timeout exceeded, closing connection\r\n");
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
        }
    }

    /** Commands that keep coming, each well within the timeout, never time out however long the session. */
    @Test
    void activeSessionOutlivesTheTimeout() throws Exception {
        try (TestServer server = TestServer.start(c -> c.timeout = 1);
             SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            for (int i = 0; i < 10; i++) {
                assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
                Thread.sleep(300);
            }
        }
    }

    /** A client trickling its DATA to dodge the idle timeout is cut off by the minimum data rate. */
    @Test
    void slowDataIsCutOff() throws Exception {
        try (TestServer server = TestServer.start(c -> {
            c.minDataRate = 100;
            c.minDataRateWindow = 1;
        }); SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO slow.test");
            c.command("MAIL FROM:<a@b.test>");
            c.command("RCPT TO:<x@example.com>");
            assertThat(c.command("DATA")).startsWith("354 ");
            long start = System.nanoTime();
            assertThat(trickleUntilAnswered(c, "s")).isEqualTo("421 4.4.2 Error: data rate too low, closing connection\r\n");
            assertThat((System.nanoTime() - start) / 1_000_000).as("cut off after a window or two").isLessThan(8_000);
        }
    }

    @Test
    void slowBdatChunkIsCutOff() throws Exception {
        try (TestServer server = TestServer.start(c -> {
            c.minDataRate = 100;
            c.minDataRateWindow = 1;
        }); SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO slow.test");
            c.command("MAIL FROM:<a@b.test>");
            c.command("RCPT TO:<x@example.com>");
            c.send("BDAT 1000 LAST\r\n");
            assertThat(trickleUntilAnswered(c, "s")).isEqualTo("421 4.4.2 Error: data rate too low, closing connection\r\n");
        }
    }

    /** Above the rate the same slow-ish upload completes, across several windows. */
    @Test
    void steadyDataAboveTheRateIsStored() throws Exception {
        try (TestServer server = TestServer.start(c -> {
            c.minDataRate = 100;
            c.minDataRateWindow = 1;
        }); SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO steady.test");
            c.command("MAIL FROM:<a@b.test>");
            c.command("RCPT TO:<x@example.com>");
            c.command("DATA");
            c.send("Subject: steady-upload\r\n\r\n");
            for (int i = 0; i < 25; i++) {
                c.send("x".repeat(98) + "\r\n");
                Thread.sleep(100);
            }
            c.send(".\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(server.rowsContaining("steady-upload")).hasSize(1);
        }
    }
}
