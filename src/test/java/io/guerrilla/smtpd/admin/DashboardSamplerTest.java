package io.guerrilla.smtpd.admin;

import io.guerrilla.smtpd.metrics.PrometheusMetrics;
import io.guerrilla.smtpd.metrics.RecentTopValues.Entry;
import io.guerrilla.smtpd.support.TestClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The dashboard's samples computed from real meters, on a clock the test moves. */
class DashboardSamplerTest {
    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final PrometheusMetrics metrics = new PrometheusMetrics();

    private record FixedServer(int storeQueue, int savesInFlight, boolean storeHealthy, boolean freeSpace,
                               boolean draining) implements DashboardSampler.Server {
    }

    private final DashboardSampler sampler = new DashboardSampler(metrics, new FixedServer(3, 2, true, true, false), clock);

    private Map<String, Object> next(Duration after) {
        clock.advance(after);
        return sampler.sample();
    }

    private static void times(int n, Runnable r) {
        for (int i = 0; i < n; i++) {
            r.run();
        }
    }

    @Test
    void ratesPerSecondByReplyClassFromTheCountersGrowth() {
        sampler.sample();
        times(10, () -> metrics.messageReplied(250));
        times(4, () -> metrics.messageReplied(451));
        times(2, () -> metrics.messageReplied(550));
        metrics.messageReplied(552);
        Map<String, Object> s = next(Duration.ofSeconds(2));

        assertThat((double) s.get("stored_per_s")).isEqualTo(5.0);
        assertThat((double) s.get("temp_failed_per_s")).isEqualTo(2.0);
        assertThat((double) s.get("perm_failed_per_s")).isEqualTo(1.5);
        @SuppressWarnings("unchecked")
        Map<String, Object> totals = (Map<String, Object>) s.get("totals");
        assertThat(totals).containsEntry("stored", 10L).containsEntry("temp_failed", 4L).containsEntry("perm_failed", 3L);
        assertThat(s).containsEntry("store_queue", 3).containsEntry("saves_in_flight", 2);

        // Nothing new: the rates fall back to zero, the totals stay.
        Map<String, Object> quiet = next(Duration.ofSeconds(1));
        assertThat((double) quiet.get("stored_per_s")).isZero();
    }

    @Test
    void latencyPercentilesOfTheLastMinuteFromTheHistogram() {
        times(30, () -> metrics.storeLatency(Duration.ofSeconds(5).toNanos()));
        sampler.sample();
        assertThat(sampler.sample().get("store_p50_ms")).as("nothing stored since the first sample").isNull();

        times(90, () -> metrics.storeLatency(Duration.ofMillis(10).toNanos()));
        times(10, () -> metrics.storeLatency(Duration.ofMillis(1000).toNanos()));
        Map<String, Object> s = next(Duration.ofSeconds(1));

        // The 5 s commits came before the window's first sample, so they do not count.
        assertThat((double) s.get("store_p50_ms")).isCloseTo(10, within(2.5));
        assertThat((double) s.get("store_p99_ms")).isCloseTo(1000, within(250.0));
    }

    @Test
    void tlsShareOfTheConnectionsOfTheLastMinute() {
        sampler.sample();
        assertThat(sampler.sample().get("tls_share")).as("no connections yet").isNull();
        times(4, metrics::connectionOpened);
        metrics.tlsHandshake("ok");
        metrics.tlsHandshake("failed");
        assertThat((double) next(Duration.ofSeconds(1)).get("tls_share")).isEqualTo(0.25);
    }

    @Test
    void topListsAndPurgesAndStoreState() {
        metrics.heloAccepted("mx.example");
        metrics.heloAccepted("mx.example");
        metrics.heloAccepted("other.example");
        metrics.clientConnected("192.0.2.7");
        metrics.recipientDomainStored("m.test");
        metrics.messagesPurged("age", 7);
        metrics.messagesPurged("total_cap", 2);
        Map<String, Object> s = sampler.sample();

        @SuppressWarnings("unchecked")
        Map<String, List<Entry>> top = (Map<String, List<Entry>>) s.get("top");
        assertThat(top.get("helo")).containsExactly(new Entry("mx.example", 2), new Entry("other.example", 1));
        assertThat(top.get("clients")).containsExactly(new Entry("192.0.2.7", 1));
        assertThat(top.get("domains")).containsExactly(new Entry("m.test", 1));
        @SuppressWarnings("unchecked")
        Map<String, Object> totals = (Map<String, Object>) s.get("totals");
        assertThat(totals.get("purged")).isEqualTo(Map.of("age", 7L, "total_cap", 2L));
        assertThat(s.get("store")).isEqualTo(Map.of("healthy", true, "free_space", true, "draining", false));
    }

    @Test
    void historyIsBoundedAndHoldsNoTopLists() {
        for (int i = 0; i < DashboardSampler.HISTORY_SAMPLES + 50; i++) {
            next(Duration.ofSeconds(1));
        }
        List<Map<String, Object>> history = sampler.history();
        assertThat(history).hasSize(DashboardSampler.HISTORY_SAMPLES);
        assertThat(history.get(history.size() - 1)).doesNotContainKey("top");
        assertThat((long) history.get(history.size() - 1).get("time") - (long) history.get(0).get("time"))
                .isEqualTo((DashboardSampler.HISTORY_SAMPLES - 1) * 1000L);
    }
}
