package io.guerrilla.smtpd.smtp;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AllowedHostsTest {
    @Test
    void exactAndWildcard() {
        AllowedHosts h = new AllowedHosts(List.of("Example.com", "*.example.org", "mail*.test", "[127.0.0.1]"));
        assertThat(h.allows("example.com")).isTrue();
        assertThat(h.allows("EXAMPLE.COM.")).isTrue();
        assertThat(h.allows("a.example.com")).isFalse();
        assertThat(h.allows("a.example.org")).isTrue();
        assertThat(h.allows("a.b.example.org")).isTrue();
        assertThat(h.allows("example.org")).isFalse();
        assertThat(h.allows("evilexample.org")).isFalse();
        assertThat(h.allows("mail1.test")).isTrue();
        assertThat(h.allows("mail.test")).isTrue();
        assertThat(h.allows("xmail.test")).isFalse();
        assertThat(h.allows("[127.0.0.1]")).isTrue();
        assertThat(h.allows(null)).isFalse();
    }

    @Test
    void starAcceptsAll() {
        AllowedHosts h = new AllowedHosts(List.of("*"));
        assertThat(h.allows("anything.example")).isTrue();
    }
}
