package io.guerrilla.smtpd.metrics;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The metric names are an interface (dashboards and alerts use them): pin them down. */
class PrometheusMetricsTest {

    @Test
    void eventsAppearUnderTheirDocumentedNames() {
        PrometheusMetrics m = new PrometheusMetrics();
        m.connectionOpened();
        m.connectionOpened();
        m.connectionClosed();
        m.connectionRejected("max_clients");
        m.messageReplied(250);
        m.messageReplied(250);
        m.messageReplied(451);
        m.bytesReceived(1000);
        m.storeLatency(2_000_000);
        m.batchCommitted(3);
        m.tlsHandshake("ok");

        String text = m.scrape();
        assertThat(text).contains(
                "guerrilla_connections_open 1.0",
                "guerrilla_connections_total 2.0",
                "guerrilla_connections_rejected_total{reason=\"max_clients\"} 1.0",
                "guerrilla_messages_total{code=\"250\",outcome=\"accepted\"} 2.0",
                "guerrilla_messages_total{code=\"451\",outcome=\"rejected\"} 1.0",
                "guerrilla_received_bytes_total 1000.0",
                "guerrilla_store_latency_seconds_count 1",
                "guerrilla_store_batch_size_sum 3.0",
                "guerrilla_store_batch_size_bucket{le=\"4.0\"} 1",
                "guerrilla_tls_handshakes_total{outcome=\"ok\"} 1.0");

        Map<String, Object> stats = m.stats();
        assertThat(stats).containsEntry("messages_accepted", 2L).containsEntry("connections_open", 1L);
        assertThat(stats.get("messages_rejected")).isEqualTo(Map.of("451", 1L));
    }
}
