package io.guerrilla.smtpd.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.pipeline.Delivery;
import io.guerrilla.smtpd.server.EmbeddedSessions.ReadingDelivery;
import io.guerrilla.smtpd.support.LogCapture;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import static io.guerrilla.smtpd.server.EmbeddedSessions.ascii;
import static io.guerrilla.smtpd.server.EmbeddedSessions.replies;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the log says when a session ends badly: one wording for both clocks, a bug (an unexpected
 * exception) at WARN with its stack trace and a 421 to the client, a peer's I/O error at DEBUG.
 */
class SessionFaultLogTest {

    private static EmbeddedChannel session(Consumer<GuerrillaConfig> customise, Delivery delivery) {
        return EmbeddedSessions.session(customise, delivery);
    }

    private static String send(EmbeddedChannel ch, String text) {
        ch.writeInbound(ascii(text));
        ch.runPendingTasks();
        return replies(ch);
    }

    @Test
    void bothClocksLogOneWordingWithTheirReason() throws Exception {
        try (LogCapture log = LogCapture.of(SmtpSessionHandler.class)) {
            EmbeddedChannel idle = session(c -> c.timeout = 1, new ReadingDelivery());
            EmbeddedSessions.advance(idle, 1000);
            assertThat(idle.isActive()).isFalse();

            EmbeddedChannel slow = session(c -> {
                c.minDataRate = 100;
                c.minDataRateWindow = 1;
            }, new ReadingDelivery());
            send(slow, "EHLO slow.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n");
            send(slow, "s");
            EmbeddedSessions.advance(slow, 1000);
            assertThat(slow.isActive()).isFalse();

            List<String> lines = log.withMessage("session timed out");
            assertThat(lines).hasSize(2);
            assertThat(LogCapture.fields(lines.get(0))).containsEntry("reason", "idle").containsEntry("waiting_for", "commands")
                    .containsKeys("conn", "client");
            assertThat(LogCapture.fields(lines.get(1))).containsEntry("reason", "min_data_rate").containsEntry("bytes", "1")
                    .containsEntry("window_s", "1").containsKeys("conn", "client");
            assertThat(log.lines()).noneMatch(l -> l.contains("timeout") || l.contains("data rate too low"));
        }
    }

    /** A bug in the pipeline (here: save throws instead of failing its future) reaches the operator and the client. */
    @Test
    void anUnexpectedExceptionIsWarnedWithItsStackAndAnswered421() throws Exception {
        Delivery broken = new ReadingDelivery() {
            @Override
            public CompletableFuture<Void> save(Envelope env) {
                throw new IllegalStateException("a bug in a processor");
            }
        };
        try (LogCapture log = LogCapture.of(SmtpSessionHandler.class)) {
            EmbeddedChannel ch = session(c -> { }, broken);
            send(ch, "EHLO a.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n");
            assertThat(send(ch, "Subject: x\r\n\r\nhi\r\n.\r\n"))
                    .isEqualTo("421 4.3.0 Error: internal server error, closing connection\r\n");
            assertThat(ch.isActive()).isFalse();
            String text = String.join("\n", log.lines());
            assertThat(log.withMessage("session failed")).singleElement().satisfies(l -> {
                assertThat(l).contains(" WARN ");
                assertThat(LogCapture.fields(l)).containsKey("conn")
                        .containsEntry("error", "java.lang.IllegalStateException: a bug in a processor");
            });
            assertThat(text).contains("\njava.lang.IllegalStateException: a bug in a processor\n\tat ");
        }
    }

    @Test
    void anIoErrorFromThePeerIsDebugOnlyAndClosesQuietly() throws Exception {
        Logger handlerLog = (Logger) LoggerFactory.getLogger(SmtpSessionHandler.class);
        Level before = handlerLog.getLevel();
        handlerLog.setLevel(Level.DEBUG);
        try (LogCapture log = LogCapture.of(SmtpSessionHandler.class)) {
            EmbeddedChannel ch = session(c -> { }, new ReadingDelivery());
            ch.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
            ch.runPendingTasks();
            assertThat(replies(ch)).isEmpty();
            assertThat(ch.isActive()).isFalse();
            assertThat(log.withMessage("connection failed")).singleElement().satisfies(l -> assertThat(l).contains(" DEBUG "));
            assertThat(log.lines()).noneMatch(l -> l.contains(" WARN "));
        } finally {
            handlerLog.setLevel(before);
        }
    }
}
