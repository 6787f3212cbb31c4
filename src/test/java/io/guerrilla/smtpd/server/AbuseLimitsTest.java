package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.pipeline.Delivery;
import io.guerrilla.smtpd.server.EmbeddedSessions.ReadingDelivery;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import static io.guerrilla.smtpd.server.EmbeddedSessions.ascii;
import static io.guerrilla.smtpd.server.EmbeddedSessions.replies;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every abuse limit: the reply, the close, and that the server still serves. The counted limits run
 * over real sockets; the timed ones (idle timeout, minimum data rate) on an EmbeddedChannel whose
 * clock the test moves, since SessionTimers reads the event loop's ticker.
 */
class AbuseLimitsTest {

    private static void transaction(SmtpClient c, String marker) throws Exception {
        assertThat(c.command("MAIL FROM:<a@abuse.test>")).isEqualTo("250 2.1.0 Ok");
        assertThat(c.command("RCPT TO:<x@example.com>")).isEqualTo("250 2.1.5 Ok");
        assertThat(c.command("DATA")).startsWith("354 ");
        c.send("Subject: " + marker + "\r\n\r\nbody\r\n.\r\n");
        assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
    }

    /** The server counts a connection as gone when it sees the close; wait for that rather than race it. */
    private static SmtpClient connectWhenAdmitted(TestServer server) throws Exception {
        for (int i = 0; i < 100; i++) {
            SmtpClient c = new SmtpClient(server.port());
            String banner = c.reply();
            if (banner.startsWith("220 ")) {
                return c;
            }
            // Refused because the close of an earlier one is not yet seen: wait for this refusal's close.
            assertThat(c.closedByServer()).isTrue();
            c.close();
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

    private static EmbeddedChannel session(Consumer<GuerrillaConfig> customise, Delivery delivery) {
        return EmbeddedSessions.session(customise, delivery);
    }

    private static String after(EmbeddedChannel ch, long millis) {
        EmbeddedSessions.advance(ch, millis);
        return replies(ch);
    }

    private static String send(EmbeddedChannel ch, String text) {
        ch.writeInbound(ascii(text));
        ch.runPendingTasks();
        return replies(ch);
    }

    private static void startData(EmbeddedChannel ch, String firstCommand) {
        assertThat(send(ch, "EHLO slow.test\r\n")).startsWith("250-");
        assertThat(send(ch, "MAIL FROM:<a@b.test>\r\n")).isEqualTo("250 2.1.0 Ok\r\n");
        assertThat(send(ch, "RCPT TO:<x@example.com>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        ch.writeInbound(ascii(firstCommand));
        replies(ch);
    }

    private static final String TIMEOUT = "421 4.4.2 Error: timeout exceeded, closing connection\r\n";
    private static final String TOO_SLOW = "421 4.4.2 Error: data rate too low, closing connection\r\n";

    @Test
    void idleTimeout() throws Exception {
        EmbeddedChannel ch = session(c -> c.timeout = 1, new ReadingDelivery());
        assertThat(after(ch, 999)).isEmpty();
        assertThat(ch.isActive()).isTrue();
        assertThat(after(ch, 1)).isEqualTo(TIMEOUT);
        assertThat(ch.isActive()).isFalse();
    }

    /** The timeout counts from the last complete command: trickling a command line does not reset it. */
    @Test
    void tricklingACommandLineTimesOut() throws Exception {
        EmbeddedChannel ch = session(c -> c.timeout = 1, new ReadingDelivery());
        for (int i = 0; i < 4; i++) {
            assertThat(send(ch, "N")).isEmpty();
            assertThat(after(ch, 200)).isEmpty();
        }
        assertThat(send(ch, "O")).isEmpty();
        assertThat(after(ch, 200)).as("a second after the greeting, bytes or not").isEqualTo(TIMEOUT);
        assertThat(ch.isActive()).isFalse();
    }

    /** Commands that keep coming, each well within the timeout, never time out however long the session. */
    @Test
    void activeSessionOutlivesTheTimeout() throws Exception {
        EmbeddedChannel ch = session(c -> c.timeout = 1, new ReadingDelivery());
        for (int i = 0; i < 10; i++) {
            assertThat(send(ch, "NOOP\r\n")).isEqualTo("250 2.0.0 Ok\r\n");
            assertThat(after(ch, 999)).isEmpty();
        }
        assertThat(ch.isActive()).isTrue();
        assertThat(after(ch, 1)).isEqualTo(TIMEOUT);
    }

    /** While content arrives the idle timeout counts from the last byte read, not the DATA command. */
    @Test
    void contentThatKeepsComingIsNotIdle() throws Exception {
        EmbeddedChannel ch = session(c -> c.timeout = 1, new ReadingDelivery());
        startData(ch, "DATA\r\n");
        for (int i = 0; i < 5; i++) {
            assertThat(send(ch, "line\r\n")).isEmpty();
            assertThat(after(ch, 900)).isEmpty();
        }
        assertThat(after(ch, 100)).isEqualTo(TIMEOUT);
    }

    /** A client waiting for its 250 is not idle: only the store timeout answers it. */
    @Test
    void storingIsNotIdle() throws Exception {
        CompletableFuture<Void> commit = new CompletableFuture<>();
        ReadingDelivery held = new ReadingDelivery() {
            @Override
            public CompletableFuture<Void> save(Envelope env) {
                super.save(env);
                return commit;
            }
        };
        EmbeddedChannel ch = session(c -> {
            c.timeout = 1;
            c.store.timeout = 30;
        }, held);
        startData(ch, "DATA\r\n");
        assertThat(send(ch, "Subject: held\r\n\r\nx\r\n.\r\n")).isEmpty();
        assertThat(after(ch, 5_000)).isEmpty();
        commit.complete(null);
        ch.runPendingTasks();
        assertThat(replies(ch)).startsWith("250 2.0.0 Ok: queued as ");
        assertThat(after(ch, 999)).as("the timeout counts again from the 250").isEmpty();
        assertThat(after(ch, 1)).isEqualTo(TIMEOUT);
    }

    /** A client trickling its DATA to dodge the idle timeout is cut off by the minimum data rate. */
    @Test
    void slowDataIsCutOff() throws Exception {
        EmbeddedChannel ch = session(c -> {
            c.minDataRate = 100;
            c.minDataRateWindow = 1;
        }, new ReadingDelivery());
        startData(ch, "DATA\r\n");
        for (int i = 0; i < 4; i++) {
            assertThat(send(ch, "s")).isEmpty();
            assertThat(after(ch, 200)).isEmpty();
        }
        assertThat(send(ch, "s")).isEmpty();
        assertThat(after(ch, 200)).as("5 bytes in the first window of 1 s").isEqualTo(TOO_SLOW);
        assertThat(ch.isActive()).isFalse();
    }

    @Test
    void slowBdatChunkIsCutOff() throws Exception {
        EmbeddedChannel ch = session(c -> {
            c.minDataRate = 100;
            c.minDataRateWindow = 1;
        }, new ReadingDelivery());
        startData(ch, "BDAT 1000 LAST\r\n");
        assertThat(send(ch, "s".repeat(99))).isEmpty();
        assertThat(after(ch, 1_000)).isEqualTo(TOO_SLOW);
        assertThat(ch.isActive()).isFalse();
    }

    /** Above the rate the same slow-ish upload completes, across several windows. */
    @Test
    void steadyDataAboveTheRateIsStored() throws Exception {
        ReadingDelivery delivery = new ReadingDelivery();
        EmbeddedChannel ch = session(c -> {
            c.minDataRate = 100;
            c.minDataRateWindow = 1;
        }, delivery);
        startData(ch, "DATA\r\n");
        StringBuilder sent = new StringBuilder("Subject: steady-upload\r\n\r\n");
        assertThat(send(ch, sent.toString())).isEmpty();
        for (int i = 0; i < 25; i++) {
            String line = "x".repeat(98) + "\r\n";
            sent.append(line);
            assertThat(send(ch, line)).isEmpty();
            assertThat(after(ch, 100)).isEmpty();
        }
        assertThat(send(ch, ".\r\n")).startsWith("250 2.0.0 Ok: queued as ");
        assertThat(new String(delivery.received, StandardCharsets.US_ASCII)).isEqualTo(sent.toString());
    }
}
