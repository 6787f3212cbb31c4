package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.mail.MemoryBudget;
import io.guerrilla.smtpd.metrics.ServerMetrics;
import io.guerrilla.smtpd.pipeline.Delivery;
import io.guerrilla.smtpd.smtp.MailAddress;
import io.guerrilla.smtpd.smtp.StorageSpace;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** What tests driving an SmtpSessionHandler on an EmbeddedChannel share. */
final class EmbeddedSessions {

    private EmbeddedSessions() {
    }

    /** Stores nothing: it reads the body back (as a store would) and completes. */
    static class ReadingDelivery implements Delivery {
        byte[] received;

        @Override
        public boolean validatesRecipients() {
            return false;
        }

        @Override
        public CompletableFuture<Boolean> validateRecipient(MailAddress rcpt) {
            return CompletableFuture.completedFuture(true);
        }

        @Override
        public CompletableFuture<Void> save(Envelope env) {
            try (InputStream in = env.body().openStream()) {
                received = in.readAllBytes();
                return CompletableFuture.completedFuture(null);
            } catch (Exception e) {
                return CompletableFuture.failedFuture(e);
            } finally {
                env.body().release();
            }
        }

        @Override
        public boolean isHealthy() {
            return true;
        }
    }

    /**
     * The handler on a channel whose clock stands still until the test moves it with
     * {@link #advance}: the event loop reads a MockTicker, so the session's timers start at a known
     * instant and fire exactly when due.
     */
    static EmbeddedChannel withMockClock(SmtpSessionHandler handler) {
        return EmbeddedChannel.builder().ticker(Ticker.newMockTicker()).handlers(handler).build();
    }

    /**
     * A session for {@code allowed_hosts: [example.com]} and what {@code customise} sets, on a
     * {@link #withMockClock} channel, greeted (its 220 read).
     */
    static EmbeddedChannel session(Consumer<GuerrillaConfig> customise, Delivery delivery) {
        GuerrillaConfig c = new GuerrillaConfig();
        c.allowedHosts = List.of("example.com");
        customise.accept(c);
        assertThat(c.validate()).isEmpty();
        EmbeddedChannel ch = withMockClock(new SmtpSessionHandler(ListenerSettings.from(c, c.nodeName), delivery,
                new PerAddressConnectionLimiter(0, 0), ServerMetrics.NONE, () -> false, Runnable::run, MemoryBudget.UNBOUNDED,
                StorageSpace.UNLIMITED));
        assertThat(replies(ch)).startsWith("220 ");
        return ch;
    }

    /** Moves the clock of a {@link #withMockClock} channel and runs what fell due. */
    static void advance(EmbeddedChannel ch, long millis) {
        ((MockTicker) ch.eventLoop().ticker()).advance(millis, TimeUnit.MILLISECONDS);
        ch.runPendingTasks();
    }

    static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    /** Everything the handler wrote since the last call. */
    static String replies(EmbeddedChannel ch) {
        StringBuilder b = new StringBuilder();
        for (ByteBuf out; (out = ch.readOutbound()) != null; ) {
            b.append(out.toString(StandardCharsets.US_ASCII));
            out.release();
        }
        return b.toString();
    }
}
