package io.guerrilla.smtpd.mail;

import io.guerrilla.smtpd.codec.BodySink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.util.AbstractReferenceCounted;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The content of one message as received. Bytes past the size limit are counted but not kept, so
 * an oversize message costs no memory beyond the limit and still gets its 552 after the end of data
 * (RFC 1870 section 6.3) with the session in sync.
 *
 * <p>Up to {@code spillThreshold} octets the body lives in one pooled buffer; past it, the body
 * moves to an anonymous temporary file (unlinked as soon as it is opened, so neither a crash nor a
 * kill -9 leaves it behind) and the buffer shrinks to a write-behind buffer of {@link #WRITE_CHUNK},
 * so a connection receiving a 1 GiB message holds no more memory than one receiving 1 MiB.
 *
 * <p>The file is created and written by the {@code fileWriter} executor, one chunk after another,
 * never by the thread that appends: that is an event loop, and a disk busy with writeback can make
 * a write wait for many milliseconds, which would stall every connection of the loop. Chunks not
 * yet written are bounded by the caller: when {@link #writeBehindFull} says so, the connection
 * stops reading until {@link #whenDrained} calls back.
 *
 * <p>Every buffer's capacity is reserved from a {@link MemoryBudget} shared by all connections: when
 * the in-memory part would grow past what the budget has left, the body spills at once instead, and
 * the chunks waiting for the file are counted until written, so the caller can stop reading while
 * the budget is spent (see {@code docs/memory.md}).
 *
 * <p>Appended to by one thread (the connection's event loop); read afterwards by the store, which
 * may open as many streams as it likes. Reference-counted because the connection and the store
 * each hold it until they are done: the store may still be reading it when the connection has
 * given up waiting.
 */
public final class MessageBody extends AbstractReferenceCounted implements BodySink {
    private static final byte[] CRLF = {'\r', '\n'};
    /** A 4 KiB message (the common case) fits without growing the buffer; also what a new body reserves. */
    public static final int INITIAL_CAPACITY = 8 * 1024;
    /** Bytes gathered before one write to the spill file: few syscalls, little memory per connection. */
    static final int WRITE_CHUNK = 64 * 1024;
    /**
     * Chunks handed to the file writer and not yet written, past which the connection should stop
     * reading: however slow the disk, a connection holds at most the first chunk (the in-memory part,
     * up to the spill threshold) and 15 more of 64 KiB.
     */
    static final int MAX_PENDING_CHUNKS = 16;
    /** Reading resumes once the writer is this far behind, so it does not pause and resume per chunk. */
    static final int RESUME_PENDING_CHUNKS = MAX_PENDING_CHUNKS / 2;

    private final ByteBufAllocator alloc;
    private final long maxSize;
    private final long spillThreshold;
    private final Path spillDirectory;
    private final Executor fileWriter;
    private final MemoryBudget memory;
    /** The whole body while in memory; the not yet handed-off tail once spilled. */
    private ByteBuf buffer;
    /** Whether chunks go to the file; set by the appending thread when the threshold is passed. */
    private boolean spilling;
    /** The file writes in order: each chunk's write runs after the one before. */
    private CompletableFuture<Void> writes = CompletableFuture.completedFuture(null);
    private final AtomicInteger pendingChunks = new AtomicInteger();
    private final AtomicReference<Runnable> onDrained = new AtomicReference<>();
    /** Touched only by the writes (in order) and by readers after they have waited for the writes. */
    private FileChannel file;
    private long fileLength;
    private volatile IOException spillFailure;
    private long size;

    /**
     * A body whose file writes (if it spills) run on the appending thread: for bodies not built on an
     * event loop, such as a processor's compressed copy.
     *
     * @param spillThreshold octets kept in memory before the body moves to a file in {@code spillDirectory}
     */
    public MessageBody(ByteBufAllocator alloc, long maxSize, long spillThreshold, Path spillDirectory) {
        this(alloc, maxSize, spillThreshold, spillDirectory, Runnable::run, MemoryBudget.UNBOUNDED);
    }

    /**
     * @param fileWriter runs the spill file's creation and writes, one body's in order
     * @param memory     what this body's buffers are counted against; the caller has checked that a new
     *                   body fits ({@link #INITIAL_CAPACITY})
     */
    public MessageBody(ByteBufAllocator alloc, long maxSize, long spillThreshold, Path spillDirectory,
                       Executor fileWriter, MemoryBudget memory) {
        this.alloc = alloc;
        this.maxSize = maxSize;
        this.spillThreshold = spillThreshold;
        this.spillDirectory = spillDirectory;
        this.fileWriter = fileWriter;
        this.memory = memory;
        // The in-memory part never grows past the threshold: a body that would is spilled instead.
        int max = (int) Math.min(Math.max(spillThreshold, WRITE_CHUNK), Integer.MAX_VALUE);
        this.buffer = alloc.buffer((int) Math.min(INITIAL_CAPACITY, max), max);
        memory.reserve(buffer.capacity());
    }

    @Override
    public void append(ByteBuf src, int index, int length) {
        size += length;
        int done = 0;
        while (keep() && done < length) {
            int n = room(length - done);
            buffer.writeBytes(src, index + done, n);
            done += n;
            afterWrite();
        }
    }

    @Override
    public void appendCrlf() {
        append(CRLF, 0, 2);
    }

    /** Appends bytes that did not come off the wire, e.g. a processor's compressed copy (see {@link #derived}). */
    public void append(byte[] src, int offset, int length) {
        size += length;
        int done = 0;
        while (keep() && done < length) {
            int n = room(length - done);
            buffer.writeBytes(src, offset + done, n);
            done += n;
            afterWrite();
        }
    }

    /**
     * An empty body without a size limit that keeps its bytes as this one does (same spill threshold and
     * directory): for what a processor derives from a message, so a compressed 1 GiB message is no more
     * a heap matter than the received one. Written through {@link #outputStream}; the caller releases it.
     */
    public MessageBody derived() {
        return new MessageBody(alloc, Long.MAX_VALUE, spillThreshold, spillDirectory);
    }

    /** Appends what is written to it; closing it does nothing (the body is released, not closed). */
    public OutputStream outputStream() {
        return new OutputStream() {
            @Override
            public void write(int b) {
                append(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                append(b, off, len);
            }
        };
    }

    private boolean keep() {
        return size <= maxSize && spillFailure == null;
    }

    /**
     * How many of {@code wanted} octets to write into the buffer now, after making room: a spilling
     * body fills its fixed-size chunk; an in-memory one grows if the threshold and the budget allow,
     * and otherwise starts spilling with what it has as the first chunk.
     */
    private int room(int wanted) {
        if (!spilling) {
            if (buffer.readableBytes() + (long) wanted > spillThreshold) {
                startSpilling();
            } else if (buffer.writableBytes() < wanted) {
                int grown = alloc.calculateNewCapacity(buffer.writerIndex() + wanted, buffer.maxCapacity());
                if (memory.tryReserve(grown - buffer.capacity())) {
                    buffer.capacity(grown);
                } else {
                    startSpilling();
                }
            }
            if (!spilling) {
                return wanted;
            }
        }
        return Math.min(wanted, buffer.writableBytes());
    }

    private void startSpilling() {
        spilling = true;
        if (buffer.isReadable()) {
            handOff();
        } else {
            memory.release(buffer.capacity());
            buffer.release();
            newChunk();
        }
    }

    /** Bytes already read must be kept: the chunk is reserved even past the limit (the caller stops reading). */
    private void newChunk() {
        buffer = alloc.buffer(WRITE_CHUNK, WRITE_CHUNK);
        memory.reserve(buffer.capacity());
    }

    private void afterWrite() {
        if (spilling && !buffer.isWritable()) {
            handOff();
        }
    }

    /** Queues the buffer for the file writer, which frees it and its reservation, and starts a new chunk. */
    private void handOff() {
        ByteBuf chunk = buffer;
        newChunk();
        pendingChunks.incrementAndGet();
        writes = writes.thenRunAsync(() -> writeChunk(chunk), fileWriter);
    }

    /** On the file writer: creates the file on the first chunk, appends, and frees the chunk. */
    private void writeChunk(ByteBuf chunk) {
        try {
            if (spillFailure == null) {
                if (file == null) {
                    Path path = Files.createTempFile(spillDirectory, "guerrilla-body-", ".eml");
                    file = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                    Files.delete(path);
                }
                write(chunk);
            }
        } catch (IOException e) {
            // Receiving goes on so the session stays in sync; the store fails it with 451.
            spillFailure = e;
        } catch (RuntimeException e) {
            // Caught too, or the chain of writes would stop and its chunks never be freed.
            spillFailure = new IOException(e);
        } finally {
            int capacity = chunk.capacity();
            chunk.release();
            memory.release(capacity);
            if (pendingChunks.decrementAndGet() <= RESUME_PENDING_CHUNKS) {
                Runnable resume = onDrained.getAndSet(null);
                if (resume != null) {
                    resume.run();
                }
            }
        }
    }

    private void write(ByteBuf from) throws IOException {
        int n = from.readableBytes();
        int done = 0;
        while (done < n) {
            done += from.getBytes(from.readerIndex() + done, file, fileLength + done, n - done);
        }
        fileLength += n;
    }

    /** Whether the file writer has fallen so far behind that the connection should stop reading. */
    public boolean writeBehindFull() {
        return pendingChunks.get() >= MAX_PENDING_CHUNKS;
    }

    /**
     * Runs {@code resume} once the file writer has caught up to {@link #RESUME_PENDING_CHUNKS}, at
     * once if it already has; on the writer's thread, so the callee hands it to its own thread.
     */
    public void whenDrained(Runnable resume) {
        onDrained.set(resume);
        if (pendingChunks.get() <= RESUME_PENDING_CHUNKS) {
            Runnable r = onDrained.getAndSet(null);
            if (r != null) {
                r.run();
            }
        }
    }

    /** Octets received, including any past the limit. */
    public long size() {
        return size;
    }

    public boolean tooBig() {
        return size > maxSize;
    }

    /** Whether the body has moved to a file (it was larger than the spill threshold). */
    public boolean spilled() {
        return spilling;
    }

    /**
     * A new stream over the kept bytes from the start; several may be open at once. Throws when the
     * body could not be written to its spill file, so the message is answered 451 rather than stored
     * short.
     */
    public synchronized InputStream openStream() throws IOException {
        if (spilling) {
            // Blocks until the file writer is done: readers are the store's threads, never an event loop.
            writes.join();
        }
        if (spillFailure != null) {
            throw new IOException("message body could not be written to " + spillDirectory, spillFailure);
        }
        if (!spilling) {
            return new ByteBufInputStream(buffer.duplicate());
        }
        if (buffer.isReadable()) {
            write(buffer);
            buffer.clear();
        }
        return new FileStream(file, fileLength);
    }

    /** Copies the kept bytes to {@code out}. */
    public void writeTo(OutputStream out) throws IOException {
        try (InputStream in = openStream()) {
            in.transferTo(out);
        }
    }

    @Override
    protected void deallocate() {
        int capacity = buffer.capacity();
        buffer.release();
        memory.release(capacity);
        buffer = null;
        // After the writes still queued (a connection closed mid-DATA), which free their chunks.
        writes.whenComplete((ok, err) -> {
            if (file != null) {
                try {
                    file.close();
                } catch (IOException ignored) {
                    // The file is already unlinked: closing only returns its blocks to the file system.
                }
            }
        });
    }

    @Override
    public MessageBody touch(Object hint) {
        return this;
    }

    /** Reads the spill file by position, so streams do not disturb one another. */
    private static final class FileStream extends InputStream {
        private final FileChannel file;
        private final long end;
        private long position;

        FileStream(FileChannel file, long end) {
            this.file = file;
            this.end = end;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (position >= end) {
                return -1;
            }
            int n = file.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - position)), position);
            if (n > 0) {
                position += n;
            }
            return n;
        }
    }
}
