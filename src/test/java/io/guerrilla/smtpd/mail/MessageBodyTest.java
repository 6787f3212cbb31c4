package io.guerrilla.smtpd.mail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MessageBodyTest {
    private static final long SPILL_THRESHOLD = 1024 * 1024;
    private static final Path TMP = Path.of(System.getProperty("java.io.tmpdir"));

    private static byte[] read(MessageBody body) throws IOException {
        try (InputStream in = body.openStream()) {
            return in.readAllBytes();
        }
    }

    @Test
    void bytesPastTheLimitAreCountedButNeverBuffered() throws IOException {
        MessageBody body = new MessageBody(ByteBufAllocator.DEFAULT, 10_000, SPILL_THRESHOLD, TMP);
        ByteBuf chunk = Unpooled.wrappedBuffer(new byte[4096]);
        for (int i = 0; i < 1000; i++) {
            body.append(chunk, 0, chunk.readableBytes());
            body.appendCrlf();
            assertThat(body.spilled()).as("after %s appends", i).isFalse();
        }
        assertThat(body.size()).isEqualTo(1000L * 4098);
        assertThat(body.tooBig()).isTrue();
        assertThat(read(body).length).isLessThanOrEqualTo(10_000);
        body.release();
    }

    @Test
    void exactlyTheLimitIsKept() throws IOException {
        MessageBody body = new MessageBody(ByteBufAllocator.DEFAULT, 12, SPILL_THRESHOLD, TMP);
        ByteBuf ten = Unpooled.copiedBuffer("0123456789", StandardCharsets.US_ASCII);
        body.append(ten, 0, 10);
        body.appendCrlf();
        assertThat(body.tooBig()).isFalse();
        assertThat(new String(read(body), StandardCharsets.US_ASCII)).isEqualTo("0123456789\r\n");
        body.append(ten, 0, 1);
        assertThat(body.tooBig()).isTrue();
        body.release();
    }

    /**
     * With the file writer held up (a disk busy with writeback), appending never waits for it: the
     * chunks queue, the body says when the connection should stop reading, calls back once the
     * writer has caught up, and the file then holds every byte in order.
     */
    @Test
    void spillWritesRunOnTheWriterWhileTheAppenderIsToldToPause(@TempDir Path dir) throws Exception {
        ExecutorService writer = Executors.newSingleThreadExecutor();
        CountDownLatch held = new CountDownLatch(1);
        writer.execute(() -> {
            try {
                held.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            MessageBody body = new MessageBody(ByteBufAllocator.DEFAULT, Long.MAX_VALUE, 4096, dir, writer, MemoryBudget.UNBOUNDED);
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            Random random = new Random(7);
            int appends = 0;
            while (!body.writeBehindFull()) {
                byte[] part = new byte[MessageBody.WRITE_CHUNK];
                random.nextBytes(part);
                body.append(Unpooled.wrappedBuffer(part), 0, part.length);
                expected.writeBytes(part);
                assertThat(++appends).as("appends before the body asks to pause").isLessThanOrEqualTo(
                        MessageBody.MAX_PENDING_CHUNKS + 1);
            }
            assertThat(body.spilled()).isTrue();
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files).as("the file is the writer's to create, and it is held").isEmpty();
            }
            AtomicBoolean resumed = new AtomicBoolean();
            body.whenDrained(() -> resumed.set(true));
            assertThat(resumed).as("still behind").isFalse();

            held.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!resumed.get() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(resumed).as("called back once the writer caught up").isTrue();
            byte[] tail = "tail not yet a whole chunk\r\n".getBytes(StandardCharsets.US_ASCII);
            body.append(Unpooled.wrappedBuffer(tail), 0, tail.length);
            expected.writeBytes(tail);
            assertThat(read(body)).isEqualTo(expected.toByteArray());
            assertThat(body.writeBehindFull()).isFalse();
            body.release();
        } finally {
            writer.shutdownNow();
        }
    }

    @Test
    void aSpillFileThatCannotBeCreatedFailsTheReadNotTheAppends(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("no-such-directory");
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            MessageBody body = new MessageBody(ByteBufAllocator.DEFAULT, Long.MAX_VALUE, 4096, missing, writer, MemoryBudget.UNBOUNDED);
            byte[] part = new byte[MessageBody.WRITE_CHUNK];
            for (int i = 0; i < 40; i++) {
                body.append(Unpooled.wrappedBuffer(part), 0, part.length);
            }
            assertThat(body.size()).isEqualTo(40L * part.length);
            assertThatThrownBy(() -> read(body)).isInstanceOf(IOException.class)
                    .hasMessageContaining("could not be written");
            assertThat(body.writeBehindFull()).as("failed writes still count as done").isFalse();
            body.release();
        } finally {
            writer.shutdownNow();
        }
    }
}
