package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.metrics.ServerMetrics;
import io.guerrilla.smtpd.pipeline.Delivery;
import io.guerrilla.smtpd.smtp.MailAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The handler's side of MessageBody's write-behind, driven on an EmbeddedChannel so the spill writer
 * can be held like a disk busy with writeback: the connection stops reading instead of queueing
 * without bound, resumes when the writes catch up, and the message arrives whole. (The same path
 * over real sockets with a real disk: SpilledBodyTest and StoreEndToEndTest's large messages.)
 */
class SpillBackpressureTest {

    /** Runs nothing until told to: a disk that is not keeping up. */
    private static final class HeldExecutor implements Executor {
        final Queue<Runnable> tasks = new ArrayDeque<>();

        @Override
        public synchronized void execute(Runnable task) {
            tasks.add(task);
        }

        synchronized void runAll() {
            for (Runnable t; (t = tasks.poll()) != null; ) {
                t.run();
            }
        }
    }

    /** Stores nothing: it reads the body back (as a store would) and completes. */
    private static final class ReadingDelivery implements Delivery {
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

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    private static String replies(EmbeddedChannel ch) {
        StringBuilder b = new StringBuilder();
        for (ByteBuf out; (out = ch.readOutbound()) != null; ) {
            b.append(out.toString(StandardCharsets.US_ASCII));
            out.release();
        }
        return b.toString();
    }

    @Test
    void readingStopsWhileSpillWritesAreBehindAndResumesWhenTheyCatchUp(@TempDir Path spill) throws Exception {
        GuerrillaConfig c = new GuerrillaConfig();
        c.allowedHosts = List.of("example.com");
        c.spillThreshold = 4096;
        c.spillDirectory = spill.toString();
        assertThat(c.validate()).isEmpty();
        ListenerSettings settings = ListenerSettings.from(c, c.store);
        HeldExecutor disk = new HeldExecutor();
        ReadingDelivery delivery = new ReadingDelivery();
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpSessionHandler(settings, delivery,
                new ClientLimiter(0, 0), ServerMetrics.NONE, () -> false, disk));
        assertThat(replies(ch)).startsWith("220 ");
        ch.writeInbound(ascii("EHLO client.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<a@example.com>\r\nDATA\r\n"));
        assertThat(replies(ch)).contains("354 ");

        byte[] line = ("x".repeat(998) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        StringBuilder sent = new StringBuilder();
        long accepted = 0;
        while (ch.config().isAutoRead()) {
            ch.writeInbound(Unpooled.wrappedBuffer(line));
            sent.append(new String(line, StandardCharsets.US_ASCII));
            accepted += line.length;
            assertThat(accepted).as("octets accepted before reading stops").isLessThan(4L << 20);
        }
        // The first chunk is the in-memory part (the 4 KiB threshold), then 64 KiB chunks.
        assertThat(accepted).as("stops once 16 chunks wait for the disk, not before")
                .isBetween(15L * 64 * 1024, 16L * 64 * 1024 + 4096);

        disk.runAll();
        ch.runPendingTasks();
        assertThat(ch.config().isAutoRead()).as("reading resumes once the writes caught up").isTrue();

        ch.writeInbound(ascii(".\r\n"));
        disk.runAll();
        ch.runPendingTasks();
        assertThat(replies(ch)).startsWith("250 2.0.0");
        assertThat(new String(delivery.received, StandardCharsets.US_ASCII)).isEqualTo(sent.toString());
        ch.finishAndReleaseAll();
    }
}
