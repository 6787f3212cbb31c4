package io.guerrilla.smtpd.mailbox;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Session tokens: read back by any codec with the key, never with another key or altered, and not after the idle time. */
class GuerrillaSessionTest {
    private static final long IDLE = 18 * 60;
    private final GuerrillaSession.Codec codec = new GuerrillaSession.Codec("k".repeat(32).getBytes(StandardCharsets.UTF_8));
    private final GuerrillaSession session = new GuerrillaSession("alice@example.com", 1_000, 4_600, 2_000);

    @Test
    void anyCodecWithTheKeyReadsTheSessionBack() {
        String token = codec.encode(session);
        GuerrillaSession.Codec otherNode = new GuerrillaSession.Codec("k".repeat(32).getBytes(StandardCharsets.UTF_8));
        assertThat(otherNode.decode(token, 2_000, IDLE)).contains(session);
        assertThat(token).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
    }

    @Test
    void anotherKeyOrAnyChangedCharacterIsNoSession() {
        String token = codec.encode(session);
        assertThat(new GuerrillaSession.Codec("x".repeat(32).getBytes(StandardCharsets.UTF_8)).decode(token, 2_000, IDLE)).isEmpty();
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            String changed = token.substring(0, i) + (c == 'A' ? 'B' : 'A') + token.substring(i + 1);
            assertThat(codec.decode(changed, 2_000, IDLE)).as("character %d changed", i).isEmpty();
        }
        assertThat(codec.decode("garbage", 2_000, IDLE)).isEmpty();
        assertThat(codec.decode("!!!.???", 2_000, IDLE)).isEmpty();
        assertThat(codec.decode("", 2_000, IDLE)).isEmpty();
        assertThat(codec.decode(null, 2_000, IDLE)).isEmpty();
        assertThat(codec.decode("a".repeat(10_000) + "." + "b", 2_000, IDLE)).isEmpty();
    }

    @Test
    void aSessionIdleLongerThanTheLimitIsOver() {
        String token = codec.encode(session);
        assertThat(codec.decode(token, 2_000 + IDLE, IDLE)).as("idle exactly the limit").isPresent();
        assertThat(codec.decode(token, 2_000 + IDLE + 1, IDLE)).isEmpty();
        String renewed = codec.encode(session.seenAt(2_000 + IDLE));
        assertThat(codec.decode(renewed, 2_000 + 2 * IDLE, IDLE)).as("each call re-issues the token").isPresent();
    }

    @Test
    void aForgottenAddressTravelsAsEmpty() {
        GuerrillaSession forgot = new GuerrillaSession("", 0, 0, 2_000);
        assertThat(codec.decode(codec.encode(forgot), 2_000, IDLE)).hasValueSatisfying(s -> assertThat(s.hasAddress()).isFalse());
    }
}
