package io.guerrilla.smtpd.smtp;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The free space guard as the state machine sees it: a number it reads at MAIL, no I/O. */
class StorageSpaceStateTest {
    private final AtomicLong headroom = new AtomicLong(Long.MAX_VALUE);
    private final SessionStateMachine machine = new SessionStateMachine(
            new SessionPolicy("mx.test", new AllowedHosts(List.of("example.com")), 10_000_000, 100, 20, 1000),
            headroom::get);

    private String reply(String line) {
        return machine.handle(SmtpCommand.parse(line)).reply().toString();
    }

    @Test
    void mailGets452WhileBelowTheReserveAndIsAcceptedOnceSpaceReturns() {
        reply("EHLO client.test");
        headroom.set(0);
        assertThat(reply("MAIL FROM:<a@b.test>")).startsWith("452 4.3.1");
        headroom.set(-5);
        assertThat(reply("MAIL FROM:<a@b.test>")).startsWith("452 4.3.1");
        headroom.set(1);
        assertThat(reply("MAIL FROM:<a@b.test>")).startsWith("250 ");
    }

    @Test
    void sizeAboveTheRoomLeftGets452ButAboveMaxSize552() {
        reply("EHLO client.test");
        headroom.set(5_000);
        assertThat(reply("MAIL FROM:<a@b.test> SIZE=20000000")).as("fixed limit: permanent").startsWith("552 5.3.4");
        assertThat(reply("MAIL FROM:<a@b.test> SIZE=5001")).as("room left: temporary").startsWith("452 4.3.1");
        assertThat(reply("MAIL FROM:<a@b.test> SIZE=5000")).startsWith("250 ");
    }

    @Test
    void syntaxErrorsAreStillAnsweredAsSuch() {
        reply("EHLO client.test");
        headroom.set(0);
        assertThat(reply("MAIL FROM:<<bad>")).startsWith("5");
    }
}
