package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.pipeline.Delivery;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.guerrilla.smtpd.server.EmbeddedSessions.ascii;
import static io.guerrilla.smtpd.server.EmbeddedSessions.replies;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stop (SIGTERM's drain) that reaches a session in the middle of a BDAT chunk: the chunk is read to
 * its end and answered, as DATA content is, and only then is the client told 421. On an
 * EmbeddedChannel, so the drain arrives exactly between the chunk's two halves.
 */
class DrainMidChunkTest {
    private static final String CONTENT = "Subject: chunked across the drain\r\n\r\nfirst part, last part\r\n";

    @Test
    void aLastChunkInHandIsStoredAndAnsweredBeforeThe421() {
        EmbeddedSessions.ReadingDelivery delivery = new EmbeddedSessions.ReadingDelivery();
        EmbeddedChannel ch = inTransaction(delivery);
        int half = CONTENT.indexOf("last part");
        ch.writeInbound(ascii("BDAT " + CONTENT.length() + " LAST\r\n" + CONTENT.substring(0, half)));

        ch.pipeline().fireUserEventTriggered(SmtpSessionHandler.DRAIN);
        assertThat(replies(ch)).as("nothing said mid-chunk").isEmpty();
        assertThat(ch.isOpen()).isTrue();

        ch.writeInbound(ascii(CONTENT.substring(half)));
        ch.runPendingTasks();
        assertThat(replies(ch)).startsWith("250 2.0.0 Ok: queued as ").contains("\r\n421 4.3.2 ");
        assertThat(new String(delivery.received, StandardCharsets.US_ASCII)).isEqualTo(CONTENT);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aChunkThatIsNotTheLastIsAnsweredThenThe421() {
        EmbeddedSessions.ReadingDelivery delivery = new EmbeddedSessions.ReadingDelivery();
        EmbeddedChannel ch = inTransaction(delivery);
        ch.writeInbound(ascii("BDAT 10\r\n01234"));

        ch.pipeline().fireUserEventTriggered(SmtpSessionHandler.DRAIN);
        assertThat(replies(ch)).isEmpty();

        ch.writeInbound(ascii("56789"));
        ch.runPendingTasks();
        assertThat(replies(ch)).startsWith("250 2.0.0 ").contains("\r\n421 4.3.2 ");
        assertThat(delivery.received).as("nothing stored: the message never ended").isNull();
        assertThat(ch.isOpen()).isFalse();
    }

    private static EmbeddedChannel inTransaction(Delivery delivery) {
        EmbeddedChannel ch = EmbeddedSessions.session(c -> { }, delivery);
        ch.writeInbound(ascii("EHLO a.test\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<x@example.com>\r\n"));
        assertThat(replies(ch)).endsWith("250 2.1.5 Ok\r\n");
        return ch;
    }
}
