package io.guerrilla.smtpd.admin;

import io.guerrilla.smtpd.metrics.PrometheusMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Turns what {@code /metrics} knows into one dashboard sample a second: rates from the counters'
 * growth since the previous sample, store latency percentiles from the latency histogram's growth
 * over the last minute (as Prometheus' {@code histogram_quantile(rate(...[1m]))} would), and the
 * recent top lists. Keeps the last {@link #HISTORY_SAMPLES} samples so a dashboard opened now draws
 * its charts at once. Time comes from the given clock; samples are taken only by {@link #sample()}.
 */
final class DashboardSampler {
    /** Samples kept for the charts: five minutes at one a second, a few hundred KiB at most. */
    static final int HISTORY_SAMPLES = 300;
    /** Samples the latency percentiles and the TLS share look back over (one minute). */
    static final int RECENT_SAMPLES = 60;
    /** Entries per top list: what fits on a screen. */
    static final int TOP_ENTRIES = 10;

    /** What the dashboard shows of the server besides its meters; each call cheap (no I/O). */
    interface Server {
        /** Messages waiting for a store writer now. */
        int storeQueue();

        /** Messages handed to the store and not yet answered. */
        int savesInFlight();

        /** The store and every service it writes to answered at their last use. */
        boolean storeHealthy();

        /** Free space above min_free_space at the last look. */
        boolean freeSpace();

        boolean draining();
    }

    /** Counter totals and the latency histogram at one instant, kept to compute what changed since. */
    private record Totals(long millis, double connections, double stored, double tempFailed, double permFailed,
                          double tls, long latencyTotal, double[] latencyBuckets, double[] latencyCounts) {
    }

    private final MeterRegistry registry;
    private final PrometheusMetrics metrics;
    private final Server server;
    private final Clock clock;
    private final ArrayDeque<Totals> totals = new ArrayDeque<>();
    private final ArrayDeque<Map<String, Object>> history = new ArrayDeque<>();

    DashboardSampler(PrometheusMetrics metrics, Server server, Clock clock) {
        this.registry = metrics.registry();
        this.metrics = metrics;
        this.server = server;
        this.clock = clock;
    }

    /** Takes the next sample, adds it to the history and returns it. */
    synchronized Map<String, Object> sample() {
        Totals now = totals();
        Totals previous = totals.peekLast();
        Totals minuteAgo = totals.peekFirst();
        totals.addLast(now);
        if (totals.size() > RECENT_SAMPLES) {
            totals.removeFirst();
        }

        Map<String, Object> s = new LinkedHashMap<>();
        s.put("time", now.millis());
        s.put("connections_open", (long) gauge("guerrilla.connections.open"));
        s.put("stored_per_s", rate(previous, now, Totals::stored));
        s.put("temp_failed_per_s", rate(previous, now, Totals::tempFailed));
        s.put("perm_failed_per_s", rate(previous, now, Totals::permFailed));
        s.put("store_p50_ms", minuteAgo == null ? null : quantile(minuteAgo, now, 0.50));
        s.put("store_p99_ms", minuteAgo == null ? null : quantile(minuteAgo, now, 0.99));
        s.put("store_queue", server.storeQueue());
        s.put("saves_in_flight", server.savesInFlight());
        double newConnections = minuteAgo == null ? 0 : now.connections() - minuteAgo.connections();
        s.put("tls_share", newConnections <= 0 ? null
                : Math.min(1.0, (now.tls() - minuteAgo.tls()) / newConnections));
        Map<String, Object> sums = new LinkedHashMap<>();
        sums.put("connections", (long) now.connections());
        sums.put("stored", (long) now.stored());
        sums.put("temp_failed", (long) now.tempFailed());
        sums.put("perm_failed", (long) now.permFailed());
        sums.put("tls_handshakes", (long) now.tls());
        Map<String, Long> purged = new TreeMap<>();
        for (Counter c : registry.find("guerrilla.retention.purged").counters()) {
            purged.merge(String.valueOf(c.getId().getTag("reason")), (long) c.count(), Long::sum);
        }
        sums.put("purged", purged);
        s.put("totals", sums);
        Map<String, Object> store = new LinkedHashMap<>();
        store.put("healthy", server.storeHealthy());
        store.put("free_space", server.freeSpace());
        store.put("draining", server.draining());
        s.put("store", store);

        history.addLast(s);
        if (history.size() > HISTORY_SAMPLES) {
            history.removeFirst();
        }
        Map<String, Object> withTop = new LinkedHashMap<>(s);
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("clients", metrics.recent().clients().top(TOP_ENTRIES));
        top.put("helo", metrics.recent().heloNames().top(TOP_ENTRIES));
        top.put("domains", metrics.recent().recipientDomains().top(TOP_ENTRIES));
        withTop.put("top", top);
        return withTop;
    }

    /** The samples kept, oldest first (without top lists: only the newest sample's matter). */
    synchronized List<Map<String, Object>> history() {
        return new ArrayList<>(history);
    }

    private Totals totals() {
        double stored = 0;
        double temp = 0;
        double perm = 0;
        for (Counter c : registry.find("guerrilla.messages").counters()) {
            int code = Integer.parseInt(c.getId().getTag("code"));
            if (code == 250) {
                stored += c.count();
            } else if (code >= 400 && code < 500) {
                temp += c.count();
            } else if (code >= 500) {
                perm += c.count();
            }
        }
        double tls = 0;
        for (Counter c : registry.find("guerrilla.tls.handshakes").tag("outcome", "ok").counters()) {
            tls += c.count();
        }
        Counter connections = registry.find("guerrilla.connections").counter();
        Timer latency = registry.find("guerrilla.store.latency").timer();
        CountAtBucket[] buckets = latency == null ? new CountAtBucket[0] : latency.takeSnapshot().histogramCounts();
        double[] bounds = new double[buckets.length];
        double[] counts = new double[buckets.length];
        for (int i = 0; i < buckets.length; i++) {
            bounds[i] = buckets[i].bucket(TimeUnit.MILLISECONDS);
            counts[i] = buckets[i].count();
        }
        return new Totals(clock.millis(), connections == null ? 0 : connections.count(), stored, temp, perm, tls,
                latency == null ? 0 : latency.count(), bounds, counts);
    }

    private double gauge(String name) {
        Gauge g = registry.find(name).gauge();
        return g == null ? 0 : g.value();
    }

    private interface Field {
        double of(Totals t);
    }

    private static double rate(Totals from, Totals to, Field f) {
        if (from == null || to.millis() <= from.millis()) {
            return 0;
        }
        return Math.max(0, f.of(to) - f.of(from)) * 1000.0 / (to.millis() - from.millis());
    }

    /**
     * The latency below which {@code q} of the messages stored between the two instants fell,
     * interpolated linearly inside the histogram bucket it lands in; null when none were stored.
     * The histogram's counts are cumulative (each bucket counts every value up to its bound); a
     * quantile above the last bound (the histogram's maximum expected value) is that bound.
     */
    private static Double quantile(Totals from, Totals to, double q) {
        double[] bounds = to.latencyBuckets();
        int n = Math.min(bounds.length, from.latencyCounts().length);
        if (n == 0) {
            return null;
        }
        double total = to.latencyTotal() - from.latencyTotal();
        if (total <= 0) {
            return null;
        }
        double rank = q * total;
        double lowerBound = 0;
        double lowerCount = 0;
        for (int i = 0; i < n; i++) {
            double count = to.latencyCounts()[i] - from.latencyCounts()[i];
            if (count >= rank) {
                double inBucket = count - lowerCount;
                double fraction = inBucket <= 0 ? 1 : (rank - lowerCount) / inBucket;
                return lowerBound + (bounds[i] - lowerBound) * fraction;
            }
            lowerBound = bounds[i];
            lowerCount = count;
        }
        return bounds[n - 1];
    }
}
