package io.guerrilla.smtpd.store;

/**
 * Counters since start, for metrics: read without locking, so a snapshot may be a commit apart.
 *
 * @param committed messages committed (each acknowledged with 250)
 * @param failed    messages whose write failed (each answered 451)
 * @param batches   transactions committed
 * @param queued    messages waiting for a writer now
 */
public record StoreStats(long committed, long failed, long batches, int queued) {
}
