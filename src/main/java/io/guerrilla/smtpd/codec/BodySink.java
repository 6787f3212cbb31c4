package io.guerrilla.smtpd.codec;

import io.netty.buffer.ByteBuf;

/** Receives message content from the framer, already dot-unstuffed and with CRLF line ends. */
public interface BodySink {
    /** Copies {@code length} bytes of {@code src} from {@code index}; the framer keeps ownership of src. */
    void append(ByteBuf src, int index, int length);

    void appendCrlf();
}
