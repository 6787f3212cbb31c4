package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.config.ProcessorName;
import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.smtp.MailAddress;
import io.guerrilla.smtpd.store.MailStore;
import io.guerrilla.smtpd.store.SaveClaim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The configured processors ({@code save_process}) run in order on each accepted message, each step on
 * the given executor, never on the event loop. The returned future completes when the last step (SQL)
 * has committed: that is when the client may get its 250.
 */
public final class Pipeline implements AutoCloseable {
    private final List<Processor> processors;
    private final Executor executor;
    private final List<RecipientCheck> checks;
    private final ExecutorService checkExecutor;
    private final long checkTimeoutMs;

    /**
     * Bodies up to this size in memory go through steps that all {@link Processor#runsInline run inline}
     * on the calling thread (the event loop): parsing at most this much takes microseconds, less than
     * handing the message to another thread and back.
     */
    static final long INLINE_BODY_BYTES = 64 * 1024;
    private final boolean inlineSteps;

    private Pipeline(List<Processor> processors, Executor executor, List<RecipientCheck> checks,
                     ExecutorService checkExecutor, long checkTimeoutMs) {
        this.inlineSteps = processors.stream().allMatch(Processor::runsInline);
        this.processors = processors;
        this.executor = executor;
        this.checks = checks;
        this.checkExecutor = checkExecutor;
        this.checkTimeoutMs = checkTimeoutMs;
    }

    /** Builds the processors {@code c.saveProcess()} names. */
    public static Pipeline create(PipelineSettings c, MailStore store, Executor executor) {
        List<Processor> out = new ArrayList<>();
        for (ProcessorName name : c.saveProcess()) {
            out.add(switch (name) {
                case HEADERSPARSER -> new HeaderParsing();
                case HEADER -> new TraceHeaderWriter();
                case HASHER -> new Hasher();
                case COMPRESSOR -> new Compressor(c.compress());
                case DEBUGGER -> new Debugger(c.debuggerLogReceivedMails());
                case REDIS -> new Redis(c.redis());
                case MEMCACHED -> new Memcached(c.memcached());
                case SQL -> new Sql(store);
            });
        }
        // Recipient checks may wait on the database; their own threads keep them from stalling saves.
        ExecutorService checkExecutor = Executors.newFixedThreadPool(c.checkThreads(), r -> {
            Thread t = new Thread(r, "recipient-check");
            t.setDaemon(true);
            return t;
        });
        List<RecipientCheck> checks = new ArrayList<>();
        for (ProcessorName name : c.validateProcess()) {
            checks.add(name == ProcessorName.SQL ? new SqlRecipientCheck(store, c.validateSql(), checkExecutor)
                    : new Debugger(c.debuggerLogReceivedMails()));
        }
        return new Pipeline(List.copyOf(out), executor, List.copyOf(checks), checkExecutor,
                c.validateTimeout().toMillis());
    }

    /**
     * Why a 250 might not survive a restart of a service save_process keeps bodies in (Redis asked for
     * its persistence settings, Memcached volatile by design); empty when every body is kept durably.
     */
    public static List<String> durabilityWarnings(StoreConfig config) {
        PipelineSettings c = PipelineSettings.from(config);
        List<String> out = new ArrayList<>();
        for (ProcessorName name : c.saveProcess()) {
            if (name == ProcessorName.REDIS) {
                out.addAll(Redis.durabilityWarnings(c.redis()));
            } else if (name == ProcessorName.MEMCACHED) {
                out.add(Memcached.VOLATILE);
            }
        }
        return out;
    }

    /** Whether validate_process names any check, so sessions must ask before accepting a recipient. */
    public boolean validatesRecipients() {
        return !checks.isEmpty();
    }

    /**
     * Runs validate_process on a recipient: true only if every check accepts; fails (the client gets
     * 451 4.3.0) when a check fails or all of them take longer than validate_timeout_ms.
     */
    public CompletableFuture<Boolean> validateRecipient(MailAddress rcpt) {
        CompletableFuture<Boolean> f = CompletableFuture.completedFuture(true);
        for (RecipientCheck check : checks) {
            f = f.thenCompose(ok -> ok ? check.accepts(rcpt) : CompletableFuture.completedFuture(false));
        }
        return f.orTimeout(checkTimeoutMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Takes one reference to the envelope's body and releases it, with what the steps derived from it,
     * when the whole pipeline is done with it, which may be after a caller gave up waiting (a timeout on the returned future does not
     * complete the pipeline's own).
     */
    public CompletableFuture<Void> save(Envelope env, SaveClaim claim) {
        Message m = new Message(env, claim);
        CompletableFuture<Void> f = CompletableFuture.completedFuture(null);
        boolean inline = inlineSteps && !env.body().spilled() && env.body().size() <= INLINE_BODY_BYTES;
        for (Processor p : processors) {
            f = inline ? f.thenCompose(v -> step(p, m)) : f.thenComposeAsync(v -> step(p, m), executor);
        }
        return f.whenComplete((ok, err) -> {
            m.release();
            env.body().release();
        });
    }

    /** A message given up on goes no further: its later steps (a Redis write) would only be wasted. */
    private static CompletableFuture<Void> step(Processor p, Message m) {
        return m.claim().abandoned() ? CompletableFuture.failedFuture(new SaveClaim.AbandonedException()) : p.process(m);
    }

    /** Cheap: whether every service the pipeline writes to was reachable at its last attempt. */
    public boolean isHealthy() {
        return processors.stream().allMatch(Processor::isHealthy);
    }

    @Override
    public void close() {
        processors.forEach(Processor::close);
        checkExecutor.shutdownNow();
    }
}
