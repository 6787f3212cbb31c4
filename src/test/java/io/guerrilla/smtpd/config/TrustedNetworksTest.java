package io.guerrilla.smtpd.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrustedNetworksTest {
    @Test
    void ipv4AndIpv6NetworksAndSingleAddresses() {
        TrustedNetworks n = TrustedNetworks.parse(List.of("10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1"));
        assertThat(n.contains("10.255.1.2")).isTrue();
        assertThat(n.contains("11.0.0.1")).isFalse();
        assertThat(n.contains("192.0.2.7")).isTrue();
        assertThat(n.contains("192.0.2.8")).isFalse();
        assertThat(n.contains("2001:db8:ffff::1")).isTrue();
        assertThat(n.contains("2001:db9::1")).isFalse();
        assertThat(n.contains("::1")).isTrue();
        assertThat(n.contains("::2")).isFalse();
    }

    @Test
    void zeroPrefixTrustsEverythingOfItsFamily() {
        TrustedNetworks n = TrustedNetworks.parse(List.of("0.0.0.0/0"));
        assertThat(n.contains("203.0.113.1")).isTrue();
        assertThat(n.contains("2001:db8::1")).isFalse();
    }

    @Test
    void namesAndGarbageNeverMatchAndNeverResolve() {
        TrustedNetworks n = TrustedNetworks.parse(List.of("127.0.0.0/8"));
        assertThat(n.contains("localhost")).isFalse();
        assertThat(n.contains((String) null)).isFalse();
        assertThat(TrustedNetworks.NONE.contains("127.0.0.1")).isFalse();
    }

    @Test
    void badEntriesAreNamedByIndex() {
        assertThatThrownBy(() -> TrustedNetworks.parse(List.of("10.0.0.0/8", "mx.example.com")))
                .hasMessage("[1]: \"mx.example.com\" is not an IP address or CIDR network");
        assertThatThrownBy(() -> TrustedNetworks.parse(List.of("10.0.0.0/33")))
                .hasMessage("[0]: prefix length of \"10.0.0.0/33\" must be 0 to 32");
        assertThatThrownBy(() -> TrustedNetworks.parse(List.of("::/129")))
                .hasMessage("[0]: prefix length of \"::/129\" must be 0 to 128");
        assertThatThrownBy(() -> TrustedNetworks.parse(List.of("10.0.0.0/x")))
                .hasMessageContaining("prefix length");
        assertThatThrownBy(() -> TrustedNetworks.parse(List.of(" ")))
                .hasMessage("[0]: empty entry");
    }
}
