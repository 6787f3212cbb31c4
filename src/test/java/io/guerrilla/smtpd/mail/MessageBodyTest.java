package io.guerrilla.smtpd.mail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

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
}
