package io.guerrilla.smtpd.mail;

import io.guerrilla.smtpd.codec.BodySink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.AbstractReferenceCounted;

import java.io.InputStream;

import io.netty.buffer.ByteBufInputStream;

/**
 * The content of one message as received. Bytes past the size limit are counted but not kept, so
 * an oversize message costs no memory beyond the limit and still gets its 552 after the end of data
 * (RFC 1870 section 6.3) with the session in sync.
 *
 * <p>Reference-counted because the connection and the store each hold it until they are done: the
 * store may still be writing it when the connection has given up waiting.
 */
public final class MessageBody extends AbstractReferenceCounted implements BodySink {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final int INITIAL_CAPACITY = 4096;

    private final long maxSize;
    private ByteBuf content;
    private long size;

    public MessageBody(ByteBufAllocator alloc, long maxSize) {
        this.maxSize = maxSize;
        int cap = (int) Math.min(Integer.MAX_VALUE - 8, maxSize);
        this.content = alloc.heapBuffer(Math.min(INITIAL_CAPACITY, cap), cap);
    }

    @Override
    public void append(ByteBuf src, int index, int length) {
        size += length;
        if (size <= maxSize) {
            content.writeBytes(src, index, length);
        }
    }

    @Override
    public void appendCrlf() {
        size += 2;
        if (size <= maxSize) {
            content.writeBytes(CRLF);
        }
    }

    /** Octets received, including any past the limit. */
    public long size() {
        return size;
    }

    public boolean tooBig() {
        return size > maxSize;
    }

    /** The kept bytes, as a read-only view whose indexes the caller may move freely. */
    public ByteBuf content() {
        return content.duplicate();
    }

    public InputStream newInputStream() {
        return new ByteBufInputStream(content.duplicate());
    }

    @Override
    protected void deallocate() {
        content.release();
        content = null;
    }

    @Override
    public MessageBody touch(Object hint) {
        return this;
    }
}
