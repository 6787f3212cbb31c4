package io.guerrilla.smtpd.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The abuse-limit keys: defaults, parsing, inheritance by servers: entries, and validation. */
class AbuseLimitsConfigTest {

    @Test
    void defaults() throws Exception {
        GuerrillaConfig c = ConfigLoader.parse("", "test");
        assertThat(c.maxConnectionsPerIp).isEqualTo(Limits.MAX_CONNECTIONS_PER_IP).isEqualTo(50);
        assertThat(c.connectionRatePerIp).isEqualTo(Limits.CONNECTION_RATE_PER_IP).isZero();
        assertThat(c.maxMessagesPerConnection).isEqualTo(Limits.MAX_MESSAGES_PER_CONNECTION).isEqualTo(1000);
        assertThat(c.minDataRate).isEqualTo(Limits.MIN_DATA_RATE).isEqualTo(1024);
        assertThat(c.minDataRateWindow).isEqualTo(Limits.MIN_DATA_RATE_WINDOW_SECONDS).isEqualTo(30);
    }

    @Test
    void keysParsedAndInherited() throws Exception {
        GuerrillaConfig c = ConfigLoader.parse("""
                max_connections_per_ip: 7
                connection_rate_per_ip: 60
                max_messages_per_connection: 20
                min_data_rate: 0
                min_data_rate_window: 10
                servers:
                  - listen_interface: 127.0.0.1:2701
                  - listen_interface: 127.0.0.1:2702
                    max_connections_per_ip: 0
                """, "test");
        ListenerConfig first = c.listeners().get(0);
        assertThat(first.maxConnectionsPerIp).isEqualTo(7);
        assertThat(first.connectionRatePerIp).isEqualTo(60);
        assertThat(first.maxMessagesPerConnection).isEqualTo(20);
        assertThat(first.minDataRate).isZero();
        assertThat(first.minDataRateWindow).isEqualTo(10);
        assertThat(c.listeners().get(1).maxConnectionsPerIp).isZero();
        assertThat(c.listeners().get(1).connectionRatePerIp).isEqualTo(60);
    }

    @Test
    void badValuesNamed() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                max_connections_per_ip: -1
                connection_rate_per_ip: -1
                max_messages_per_connection: 0
                min_data_rate: -5
                min_data_rate_window: 0
                """, "test"))
                .hasMessageContaining("max_connections_per_ip: must be 0 (off) or more")
                .hasMessageContaining("connection_rate_per_ip: must be 0 (off) or more")
                .hasMessageContaining("max_messages_per_connection: must be greater than 0")
                .hasMessageContaining("min_data_rate: must be 0 (off) or more")
                .hasMessageContaining("min_data_rate_window: must be greater than 0");
    }
}
