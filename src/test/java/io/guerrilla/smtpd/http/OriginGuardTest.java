package io.guerrilla.smtpd.http;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** For browsers without Sec-Fetch-Site: an Origin is same-origin only when it names the host and port asked. */
class OriginGuardTest {

    @ParameterizedTest
    @CsvSource({
            "http://127.0.0.1:8025, 127.0.0.1:8025, true",
            "http://mail.example, mail.example, true",
            "https://mail.example, mail.example, true",
            "https://MAIL.example, mail.example:443, true",
            "http://127.0.0.1:8026, 127.0.0.1:8025, false",
            "http://127.0.0.1, 127.0.0.1:8025, false",
            "http://evil.example, mail.example, false",
            "http://mail.example.evil, mail.example, false",
            "null, mail.example, false",
            "http://[::1]:8025, [::1]:8025, true",
            "'http://a b', mail.example, false"})
    void sameHost(String origin, String host, boolean same) {
        assertThat(OriginGuard.sameHost(origin, host)).isEqualTo(same);
    }
}
