package io.guerrilla.smtpd.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link ServerMetrics} kept in a Micrometer registry and rendered in Prometheus' text format.
 * Meters tagged by a reason or code are created on first use and cached, so the hot path is a map
 * lookup and an atomic add.
 */
public final class PrometheusMetrics implements ServerMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicLong open = new AtomicLong();
    private final Counter connections;
    private final Counter bytes;
    private final Timer storeLatency;
    private final DistributionSummary batchSizes;
    private final Map<String, Counter> rejected = new ConcurrentHashMap<>();
    private final Map<Integer, Counter> messages = new ConcurrentHashMap<>();
    private final Map<String, Counter> tls = new ConcurrentHashMap<>();
    private final Map<String, Counter> purged = new ConcurrentHashMap<>();

    /** Without a node tag: one process alone, as in tests. */
    public PrometheusMetrics() {
        this(null);
    }

    /**
     * @param node this process's node_name, a tag on every series so that the series of several nodes
     *             behind one balancer stay apart when one Prometheus scrapes them all; null for none
     */
    public PrometheusMetrics(String node) {
        if (node != null) {
            registry.config().commonTags("node", node);
        }
        Gauge.builder("guerrilla.connections.open", open, AtomicLong::get)
                .description("SMTP connections open now").register(registry);
        connections = Counter.builder("guerrilla.connections")
                .description("SMTP connections accepted and greeted").register(registry);
        bytes = Counter.builder("guerrilla.received.bytes")
                .description("Octets of message content received").register(registry);
        storeLatency = Timer.builder("guerrilla.store.latency")
                .description("Time from end of data to the store's commit (or failure)")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        batchSizes = DistributionSummary.builder("guerrilla.store.batch.size")
                .description("Messages written per group-commit transaction")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
                .register(registry);
    }

    @Override
    public void connectionOpened() {
        open.incrementAndGet();
        connections.increment();
    }

    @Override
    public void connectionClosed() {
        open.decrementAndGet();
    }

    @Override
    public void connectionRejected(String reason) {
        rejected.computeIfAbsent(reason, r -> Counter.builder("guerrilla.connections.rejected")
                .description("Connections refused before a session started, by reason")
                .tag("reason", r).register(registry)).increment();
    }

    @Override
    public void messageReplied(int replyCode) {
        messages.computeIfAbsent(replyCode, c -> Counter.builder("guerrilla.messages")
                .description("Messages by final reply: accepted (250) or rejected (the code)")
                .tag("outcome", c == 250 ? "accepted" : "rejected")
                .tag("code", Integer.toString(c)).register(registry)).increment();
    }

    @Override
    public void bytesReceived(long octets) {
        bytes.increment(octets);
    }

    @Override
    public void storeLatency(long nanos) {
        storeLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void batchCommitted(int messages) {
        batchSizes.record(messages);
    }

    @Override
    public void tlsHandshake(String outcome) {
        tls.computeIfAbsent(outcome, o -> Counter.builder("guerrilla.tls.handshakes")
                .description("TLS handshakes by outcome").tag("outcome", o).register(registry)).increment();
    }

    @Override
    public void messagesPurged(String reason, long rows) {
        purged.computeIfAbsent(reason, r -> Counter.builder("guerrilla.retention.purged")
                .description("Stored messages (rows) deleted by retention, by rule").tag("reason", r)
                .register(registry)).increment(rows);
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    /** A small summary for humans and scripts ({@code /api/stats}). */
    public Map<String, Object> stats() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("connections_open", open.get());
        s.put("connections_total", (long) connections.count());
        Map<String, Long> byReason = new LinkedHashMap<>();
        rejected.forEach((r, c) -> byReason.put(r, (long) c.count()));
        s.put("connections_rejected", byReason);
        long accepted = 0;
        Map<String, Long> byCode = new LinkedHashMap<>();
        for (Map.Entry<Integer, Counter> e : messages.entrySet()) {
            if (e.getKey() == 250) {
                accepted += (long) e.getValue().count();
            } else {
                byCode.put(Integer.toString(e.getKey()), (long) e.getValue().count());
            }
        }
        s.put("messages_accepted", accepted);
        s.put("messages_rejected", byCode);
        s.put("bytes_received", (long) bytes.count());
        s.put("store_commits", storeLatency.count());
        s.put("store_latency_mean_ms", storeLatency.mean(TimeUnit.MILLISECONDS));
        s.put("store_latency_max_ms", storeLatency.max(TimeUnit.MILLISECONDS));
        return s;
    }
}
