package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.mail.MemoryBudget;
import io.guerrilla.smtpd.metrics.ServerMetrics;
import io.guerrilla.smtpd.server.EmbeddedSessions.ReadingDelivery;
import io.guerrilla.smtpd.smtp.StorageSpace;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Executor;

import static io.guerrilla.smtpd.server.EmbeddedSessions.ascii;
import static io.guerrilla.smtpd.server.EmbeddedSessions.replies;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The handler's side of MessageBody's write-behind, driven on an EmbeddedChannel so the spill writer
 * can be held like a disk busy with writeback: the connection stops reading instead of queueing
 * without bound, resumes when the writes catch up, and the message arrives whole. (The same path
 * over real sockets with a real disk: SpilledBodyTest and StoreEndToEndTest's large messages.)
 * Likewise for the memory budget of all bodies: a connection stops reading while it is spent, a new
 * message is refused with 451 4.3.1 meanwhile (DATA and BDAT), and both go on when memory is back.
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

    @Test
    void readingStopsWhileSpillWritesAreBehindAndResumesWhenTheyCatchUp(@TempDir Path spill) throws Exception {
        ListenerSettings settings = settings(spill);
        HeldExecutor disk = new HeldExecutor();
        ReadingDelivery delivery = new ReadingDelivery();
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpSessionHandler(settings, delivery,
                new PerAddressConnectionLimiter(0, 0), ServerMetrics.NONE, () -> false, disk, MemoryBudget.UNBOUNDED,
                StorageSpace.UNLIMITED));
        assertThat(replies(ch)).startsWith("220 ");
        ch.writeInbound(ascii("EHLO client.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<a@example.com>\r\nDATA\r\n"));
        assertThat(replies(ch)).contains("354 ");

        StringBuilder sent = new StringBuilder();
        long accepted = sendUntilReadingStops(ch, sent);
        // The first chunk is the in-memory part (the 4 KiB threshold), then 64 KiB chunks.
        assertThat(accepted).as("stops once 16 chunks wait for the disk, not before")
                .isBetween(15L * 64 * 1024, 16L * 64 * 1024 + 4096);

        finishOnceTheDiskCatchesUp(ch, disk, delivery, sent);
    }

    /** Lets the held writes run: reading must resume, and the end of data bring a 250 for the whole body. */
    private static void finishOnceTheDiskCatchesUp(EmbeddedChannel ch, HeldExecutor disk, ReadingDelivery delivery,
                                                   StringBuilder sent) {
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

    /** Sends 1000-octet lines of content until the handler stops reading; returns the octets sent. */
    private static long sendUntilReadingStops(EmbeddedChannel ch, StringBuilder sent) {
        byte[] line = ("x".repeat(998) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        long accepted = 0;
        while (ch.config().isAutoRead()) {
            ch.writeInbound(Unpooled.wrappedBuffer(line));
            sent.append(new String(line, StandardCharsets.US_ASCII));
            accepted += line.length;
            assertThat(accepted).as("octets accepted before reading stops").isLessThan(4L << 20);
        }
        return accepted;
    }

    private static ListenerSettings settings(Path spill) {
        GuerrillaConfig c = new GuerrillaConfig();
        c.allowedHosts = List.of("example.com");
        c.spillThreshold = 4096;
        c.spillDirectory = spill.toString();
        assertThat(c.validate()).isEmpty();
        return ListenerSettings.from(c, c.nodeName);
    }

    @Test
    void aSpentMemoryBudgetPausesReadingAndRefusesNewMessagesUntilMemoryIsBack(@TempDir Path spill) throws Exception {
        ListenerSettings settings = settings(spill);
        HeldExecutor disk = new HeldExecutor();
        MemoryBudget memory = new MemoryBudget(256 * 1024);
        ReadingDelivery delivery = new ReadingDelivery();
        EmbeddedChannel sender = new EmbeddedChannel(new SmtpSessionHandler(settings, delivery,
                new PerAddressConnectionLimiter(0, 0), ServerMetrics.NONE, () -> false, disk, memory,
                StorageSpace.UNLIMITED));
        EmbeddedChannel late = new EmbeddedChannel(new SmtpSessionHandler(settings, delivery,
                new PerAddressConnectionLimiter(0, 0), ServerMetrics.NONE, () -> false, disk, memory,
                StorageSpace.UNLIMITED));
        replies(sender);
        replies(late);
        sender.writeInbound(ascii("EHLO client.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<a@example.com>\r\nDATA\r\n"));
        assertThat(replies(sender)).contains("354 ");

        StringBuilder sent = new StringBuilder();
        long accepted = sendUntilReadingStops(sender, sent);
        assertThat(accepted).as("stops at the budget, before 16 chunks wait for the disk").isLessThan(15L * 64 * 1024);
        assertThat(memory.used()).as("held past the budget by at most one chunk")
                .isBetween(memory.limit(), memory.limit() + 64 * 1024);

        late.writeInbound(ascii("EHLO late.test\r\nMAIL FROM:<l@remote.test>\r\nRCPT TO:<a@example.com>\r\nDATA\r\n"));
        assertThat(replies(late)).as("no memory for a new message").contains("451 4.3.1").doesNotContain("354");
        late.writeInbound(ascii("MAIL FROM:<l@remote.test>\r\nRCPT TO:<a@example.com>\r\nBDAT 5 LAST\r\nhello"
                + "NOOP\r\n"));
        assertThat(replies(late)).as("a refused chunk is read, dropped and answered; the next command is in sync")
                .contains("451 4.3.1").endsWith("250 2.0.0 Ok\r\n");

        finishOnceTheDiskCatchesUp(sender, disk, delivery, sent);
        assertThat(memory.used()).as("every reservation is given back").isZero();

        late.writeInbound(ascii("MAIL FROM:<l@remote.test>\r\nRCPT TO:<a@example.com>\r\nDATA\r\n"));
        assertThat(replies(late)).as("new messages are taken again").contains("354 ");
        late.finishAndReleaseAll();
    }
}
