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
 * <p>Written by the connection's event loop only; read afterwards by the store, which may open as
 * many streams as it likes. Reference-counted because the connection and the store each hold it
 * until they are done: the store may still be reading it when the connection has given up waiting.
 */
public final class MessageBody extends AbstractReferenceCounted implements BodySink {
    private static final byte[] CRLF = {'\r', '\n'};
    /** A 4 KiB message (the common case) fits without growing the buffer. */
    private static final int INITIAL_CAPACITY = 8 * 1024;
    /** Bytes gathered before one write to the spill file: few syscalls, little memory per connection. */
    static final int WRITE_CHUNK = 64 * 1024;

    private final ByteBufAllocator alloc;
    private final long maxSize;
    private final long spillThreshold;
    private final Path spillDirectory;
    /** The whole body while in memory; the not yet written tail once spilled. */
    private ByteBuf buffer;
    private FileChannel file;
    private long fileLength;
    private IOException spillFailure;
    private long size;

    /**
     * @param spillThreshold octets kept in memory before the body moves to a file in {@code spillDirectory}
     */
    public MessageBody(ByteBufAllocator alloc, long maxSize, long spillThreshold, Path spillDirectory) {
        this.alloc = alloc;
        this.maxSize = maxSize;
        this.spillThreshold = spillThreshold;
        this.spillDirectory = spillDirectory;
        this.buffer = alloc.buffer((int) Math.min(INITIAL_CAPACITY, Math.max(spillThreshold, 1)));
    }

    @Override
    public void append(ByteBuf src, int index, int length) {
        size += length;
        if (keep()) {
            buffer.writeBytes(src, index, length);
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
        if (keep()) {
            buffer.writeBytes(src, offset, length);
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

    private void afterWrite() {
        if (file == null ? buffer.readableBytes() > spillThreshold : buffer.readableBytes() >= WRITE_CHUNK) {
            try {
                flushToFile();
            } catch (IOException e) {
                // Receiving goes on so the session stays in sync; the store fails it with 451.
                spillFailure = e;
                buffer.clear();
            }
        }
    }

    private void flushToFile() throws IOException {
        if (file == null) {
            Path path = Files.createTempFile(spillDirectory, "guerrilla-body-", ".eml");
            file = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            Files.delete(path);
            ByteBuf whole = buffer;
            buffer = alloc.buffer(WRITE_CHUNK);
            try {
                write(whole);
            } finally {
                whole.release();
            }
            return;
        }
        write(buffer);
        buffer.clear();
    }

    private void write(ByteBuf from) throws IOException {
        int n = from.readableBytes();
        int done = 0;
        while (done < n) {
            done += from.getBytes(from.readerIndex() + done, file, fileLength + done, n - done);
        }
        fileLength += n;
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
        return file != null;
    }

    /**
     * A new stream over the kept bytes from the start; several may be open at once. Throws when the
     * body could not be written to its spill file, so the message is answered 451 rather than stored
     * short.
     */
    public synchronized InputStream openStream() throws IOException {
        if (spillFailure != null) {
            throw new IOException("message body could not be written to " + spillDirectory, spillFailure);
        }
        if (file == null) {
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
        buffer.release();
        buffer = null;
        if (file != null) {
            try {
                file.close();
            } catch (IOException ignored) {
                // The file is already unlinked: closing only returns its blocks to the file system.
            }
        }
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
