package io.guerrilla.smtpd.metrics;

import io.guerrilla.smtpd.smtp.Replies;
import io.guerrilla.smtpd.smtp.Reply;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link ServerMetrics} kept in a Micrometer registry and rendered in Prometheus' text format, with
 * the JVM's and the process's own meters (memory, GC, threads, classes, CPU, uptime, open files) and
 * a build-info gauge beside them.
 *
 * <p>Meters tagged by a reason or code are cached, so the hot path is a map lookup and an atomic add.
 * Every reason and code the server can report is registered at start, at 0: a rate or an alert over
 * a series that appears only with its first event sees nothing until then (and {@code increase()}
 * misses that first event). A code not known in advance is still counted, from its first use.
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
    private final RecentTraffic recent = new RecentTraffic(Clock.systemUTC());

    /** Reasons a connection is refused before its session: the limiter's, the session handler's. */
    static final List<String> REJECT_REASONS = List.of("max_clients", "per_ip_limit", "per_ip_rate", "shutting_down");
    /** Final replies to a message: stored, store failure or no memory (451), bare newline (550), too big (552). */
    static final List<Integer> MESSAGE_CODES = List.of(250, 451, 550, 552);
    /** The refusals of RCPT by policy, limit or check (syntax errors are counted from their first use). */
    static final List<Reply> RECIPIENT_REFUSALS = List.of(Replies.RELAY_DENIED, Replies.UNKNOWN_RECIPIENT,
            Replies.TOO_MANY_RECIPIENTS, Replies.RECIPIENT_CHECK_FAILED, Replies.UTF8_NEEDS_SMTPUTF8,
            Replies.UNSUPPORTED_PARAMETER, Replies.NEED_MAIL, Replies.HELO_FIRST);
    static final List<String> TLS_OUTCOMES = List.of("ok", "failed");
    static final List<String> PURGE_REASONS = List.of("age", "mailbox_cap", "total_cap");

    private final Map<String, Counter> refusedRecipients = new ConcurrentHashMap<>();

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
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        String version = PrometheusMetrics.class.getPackage().getImplementationVersion();
        Gauge.builder("guerrillad.build.info", () -> 1)
                .description("The running build: always 1, its labels say which")
                .tag("version", version == null ? "dev" : version)
                .tag("java", Runtime.version().toString())
                .register(registry);
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
        REJECT_REASONS.forEach(this::rejectedCounter);
        MESSAGE_CODES.forEach(this::messageCounter);
        RECIPIENT_REFUSALS.forEach(r -> refusedCounter(r.code(), r.enhancedCode()));
        TLS_OUTCOMES.forEach(this::tlsCounter);
        PURGE_REASONS.forEach(this::purgedCounter);
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
        rejectedCounter(reason).increment();
    }

    private Counter rejectedCounter(String reason) {
        return rejected.computeIfAbsent(reason, r -> Counter.builder("guerrilla.connections.rejected")
                .description("Connections refused before a session started, by reason")
                .tag("reason", r).register(registry));
    }

    @Override
    public void messageReplied(int replyCode) {
        messageCounter(replyCode).increment();
    }

    private Counter messageCounter(int replyCode) {
        return messages.computeIfAbsent(replyCode, c -> Counter.builder("guerrilla.messages")
                .description("Messages by final reply: accepted (250) or rejected (the code)")
                .tag("outcome", c == 250 ? "accepted" : "rejected")
                .tag("code", Integer.toString(c)).register(registry));
    }

    @Override
    public void recipientRefused(int code, String enhanced) {
        refusedCounter(code, enhanced).increment();
    }

    private Counter refusedCounter(int code, String enhanced) {
        String status = enhanced == null ? "" : enhanced;
        return refusedRecipients.computeIfAbsent(code + " " + status, k -> Counter.builder("guerrilla.recipients.refused")
                .description("RCPT commands refused, by reply code and enhanced status code")
                .tag("code", Integer.toString(code)).tag("status", status).register(registry));
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
        tlsCounter(outcome).increment();
    }

    private Counter tlsCounter(String outcome) {
        return tls.computeIfAbsent(outcome, o -> Counter.builder("guerrilla.tls.handshakes")
                .description("TLS handshakes by outcome").tag("outcome", o).register(registry));
    }

    @Override
    public void messagesPurged(String reason, long rows) {
        purgedCounter(reason).increment(rows);
    }

    private Counter purgedCounter(String reason) {
        return purged.computeIfAbsent(reason, r -> Counter.builder("guerrilla.retention.purged")
                .description("Stored messages (rows) deleted by retention, by rule").tag("reason", r)
                .register(registry));
    }

    @Override
    public void clientConnected(String address) {
        recent.clients().add(address);
    }

    @Override
    public void heloAccepted(String name) {
        recent.heloNames().add(name);
    }

    @Override
    public void recipientDomainStored(String domain) {
        recent.recipientDomains().add(domain);
    }

    /** The meters, for views of them other than the scrape (the admin dashboard). */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The most frequent clients, HELO names and recipient domains of the last minutes. */
    public RecentTraffic recent() {
        return recent;
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
        rejected.forEach((r, c) -> {
            if (c.count() > 0) {
                byReason.put(r, (long) c.count());
            }
        });
        s.put("connections_rejected", byReason);
        long accepted = 0;
        Map<String, Long> byCode = new LinkedHashMap<>();
        for (Map.Entry<Integer, Counter> e : messages.entrySet()) {
            if (e.getKey() == 250) {
                accepted += (long) e.getValue().count();
            } else if (e.getValue().count() > 0) {
                byCode.put(Integer.toString(e.getKey()), (long) e.getValue().count());
            }
        }
        s.put("messages_accepted", accepted);
        s.put("messages_rejected", byCode);
        Map<String, Long> refused = new LinkedHashMap<>();
        refusedRecipients.forEach((k, c) -> {
            if (c.count() > 0) {
                refused.put(k, (long) c.count());
            }
        });
        s.put("recipients_refused", refused);
        s.put("bytes_received", (long) bytes.count());
        s.put("store_commits", storeLatency.count());
        s.put("store_latency_mean_ms", storeLatency.mean(TimeUnit.MILLISECONDS));
        s.put("store_latency_max_ms", storeLatency.max(TimeUnit.MILLISECONDS));
        return s;
    }
}
