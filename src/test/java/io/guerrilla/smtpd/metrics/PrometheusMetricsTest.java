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

    @Test
    void everySeriesExistsAtZeroBeforeItsFirstEvent() {
        String text = new PrometheusMetrics().scrape();
        assertThat(text).contains(
                "guerrilla_connections_open 0.0",
                "guerrilla_connections_total 0.0",
                "guerrilla_received_bytes_total 0.0",
                "guerrilla_store_latency_seconds_count 0",
                "guerrilla_connections_rejected_total{reason=\"max_clients\"} 0.0",
                "guerrilla_connections_rejected_total{reason=\"per_ip_limit\"} 0.0",
                "guerrilla_connections_rejected_total{reason=\"per_ip_rate\"} 0.0",
                "guerrilla_connections_rejected_total{reason=\"shutting_down\"} 0.0",
                "guerrilla_messages_total{code=\"250\",outcome=\"accepted\"} 0.0",
                "guerrilla_messages_total{code=\"451\",outcome=\"rejected\"} 0.0",
                "guerrilla_messages_total{code=\"552\",outcome=\"rejected\"} 0.0",
                "guerrilla_recipients_refused_total{code=\"550\",status=\"5.7.1\"} 0.0",
                "guerrilla_recipients_refused_total{code=\"550\",status=\"5.1.1\"} 0.0",
                "guerrilla_recipients_refused_total{code=\"452\",status=\"4.5.3\"} 0.0",
                "guerrilla_recipients_refused_total{code=\"451\",status=\"4.3.0\"} 0.0",
                "guerrilla_tls_handshakes_total{outcome=\"ok\"} 0.0",
                "guerrilla_tls_handshakes_total{outcome=\"failed\"} 0.0",
                "guerrilla_retention_purged_total{reason=\"age\"} 0.0");
    }

    @Test
    void refusedRecipientsAreCountedByCodeAndStatus() {
        PrometheusMetrics m = new PrometheusMetrics();
        m.recipientRefused(550, "5.7.1");
        m.recipientRefused(550, "5.7.1");
        m.recipientRefused(501, "5.1.3");
        assertThat(m.scrape()).contains("guerrilla_recipients_refused_total{code=\"550\",status=\"5.7.1\"} 2.0",
                "guerrilla_recipients_refused_total{code=\"501\",status=\"5.1.3\"} 1.0");
        assertThat(m.stats().get("recipients_refused")).isEqualTo(Map.of("550 5.7.1", 2L, "501 5.1.3", 1L));
    }

    @Test
    void jvmProcessAndBuildMetricsAreExported() {
        String text = new PrometheusMetrics().scrape();
        assertThat(text).contains("jvm_memory_used_bytes{", "jvm_threads_live_threads", "jvm_classes_loaded_classes",
                "jvm_gc_", "process_cpu_usage", "system_cpu_count", "process_uptime_seconds", "process_start_time_seconds",
                "process_files_open_files", "process_files_max_files");
        assertThat(text).containsPattern("(?m)^guerrillad_build_info\\{java=\"" + java.util.regex.Pattern.quote(
                Runtime.version().toString()) + "\",version=\"[^\"]+\"} 1(\\.0)?$");
    }
}
