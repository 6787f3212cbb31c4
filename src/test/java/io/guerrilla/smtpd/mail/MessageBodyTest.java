package io.guerrilla.smtpd.mail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class MessageBodyTest {

    @Test
    void bytesPastTheLimitAreCountedButNeverBuffered() {
        MessageBody body = new MessageBody(ByteBufAllocator.DEFAULT, 10_000);
        ByteBuf chunk = Unpooled.wrappedBuffer(new byte[4096]);
        for (int i = 0; i < 1000; i++) {
            body.append(chunk, 0, chunk.readableBytes());
            body.appendCrlf();
            assertThat(body.content().capacity()).as("after %s appends", i).isLessThanOrEqualTo(10_000);
        }
        assertThat(body.size()).isEqualTo(1000L * 4098);
        assertThat(body.tooBig()).isTrue();
        assertThat(body.content().readableBytes()).isLessThanOrEqualTo(10_000);
        body.release();
    }

    @Test
    void exactlyTheLimitIsKept() {
        MessageBody body = new MessageBody(ByteBufAllocator.DEFAULT, 12);
        ByteBuf ten = Unpooled.copiedBuffer("0123456789", StandardCharsets.US_ASCII);
        body.append(ten, 0, 10);
        body.appendCrlf();
        assertThat(body.tooBig()).isFalse();
        assertThat(body.content().toString(StandardCharsets.US_ASCII)).isEqualTo("0123456789\r\n");
        body.append(ten, 0, 1);
        assertThat(body.tooBig()).isTrue();
        body.release();
    }
}
