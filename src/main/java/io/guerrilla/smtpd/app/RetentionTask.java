package io.guerrilla.smtpd.app;

import io.guerrilla.smtpd.config.RetentionConfig;
import io.guerrilla.smtpd.metrics.ServerMetrics;
import io.guerrilla.smtpd.store.MailStore;
import io.guerrilla.smtpd.store.Purger;
import io.guerrilla.smtpd.store.SqlStore;
import io.guerrilla.smtpd.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.function.Supplier;

/**
 * Retention inside {@code serve}: a pass at start and then every {@code retention.interval}, on a thread
 * of its own. Policy and store are looked up for every pass, so a reload applies from the next one.
 * Several nodes on one database may all run it: a row two of them pick is deleted once, and counted once.
 */
final class RetentionTask implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RetentionTask.class);

    private final Supplier<RetentionConfig> policy;
    private final Supplier<MailStore> store;
    private final ServerMetrics metrics;
    private final Clock clock;
    private final Thread thread;
    private boolean warnedAboutVacuum;

    RetentionTask(Supplier<RetentionConfig> policy, Supplier<MailStore> store, ServerMetrics metrics, Clock clock) {
        this.policy = policy;
        this.store = store;
        this.metrics = metrics;
        this.clock = clock;
        this.thread = new Thread(this::run, "retention");
        this.thread.setDaemon(true);
    }

    void start() {
        RetentionConfig p = policy.get();
        if (p.enabled()) {
            log.info("retention: deleting mail older than {}, beyond {} per mailbox, beyond {} in all; every {}",
                    p.maxAge().isZero() ? "(no limit)" : p.maxAge, p.maxPerMailbox == 0 ? "(no cap)" : p.maxPerMailbox,
                    p.maxMessages == 0 ? "(no cap)" : p.maxMessages, p.interval);
        } else {
            log.info("retention: off (mail is kept until deleted by other means)");
        }
        thread.start();
    }

    private void run() {
        while (!Thread.currentThread().isInterrupted()) {
            RetentionConfig p = policy.get();
            try {
                if (p.enabled() && store.get() instanceof SqlStore sql) {
                    pass(sql, p);
                }
                Thread.sleep(p.interval().toMillis());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // The thread must survive whatever one pass meets; the next one tries again.
                log.error("retention pass failed: {}", e.toString());
            }
        }
    }

    private void pass(SqlStore sql, RetentionConfig p) throws InterruptedException {
        if (!sql.isHealthy()) {
            return;
        }
        long started = System.nanoTime();
        Purger purger = sql.purger(p, clock, (reason, rows) -> metrics.messagesPurged(reason.label, rows));
        try {
            warnOnceWithoutIncrementalVacuum(purger);
            Purger.Result r = purger.pass();
            if (r.total() > 0 || r.pagesReleased() > 0) {
                log.info("retention: deleted {} messages ({} by age, {} by mailbox cap, {} by total cap), released {}"
                        + " SQLite pages, in {} ms", r.total(), r.byAge(), r.byMailboxCap(), r.byTotalCap(),
                        r.pagesReleased(), (System.nanoTime() - started) / 1_000_000);
            }
        } catch (StoreException e) {
            log.warn("retention: {}", e.getMessage());
        }
    }

    private void warnOnceWithoutIncrementalVacuum(Purger purger) throws StoreException {
        if (!warnedAboutVacuum && purger.isSqliteWithoutIncrementalVacuum()) {
            log.info("retention: this SQLite file was created without incremental auto-vacuum, so space freed by"
                    + " retention is reused but the file does not shrink; 'guerrillad purge --vacuum' turns it on once"
                    + " (rebuilds the file; see docs/retention.md)");
        }
        warnedAboutVacuum = true;
    }

    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
