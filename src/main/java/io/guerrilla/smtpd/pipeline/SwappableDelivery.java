package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.smtp.MailAddress;
import io.guerrilla.smtpd.store.MailStore;
import io.guerrilla.smtpd.store.SaveClaim;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pipeline and store the listeners deliver into, replaceable while they run (config reload).
 * Each generation counts the saves it has not answered yet, so a replaced pipeline and its store
 * are closed only after the messages already handed to them are committed (or failed) and
 * answered; and shutdown can wait for every in-flight save.
 */
public final class SwappableDelivery implements Delivery, AutoCloseable {
    private static final long POLL_MILLIS = 10;
    /** Fires the store timeouts; only decides and completes futures, so one thread is plenty. */
    private static final ScheduledThreadPoolExecutor TIMER = timer();

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "store-timeout");
            thread.setDaemon(true);
            return thread;
        });
        // Most saves finish long before their timeout: a cancelled one must not stay queued for its full delay.
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    /** One pipeline, the store it writes to, and the saves it still owes an answer for. */
    public static final class Generation {
        private final Pipeline pipeline;
        private final MailStore store;
        private final AtomicInteger inFlight = new AtomicInteger();
        private final Duration saveTimeout;

        /**
         * @param saveTimeout how long a save may wait for the store to take it; one not taken by then is
         *                    answered 451 and stops counting as in flight
         */
        public Generation(Pipeline pipeline, MailStore store, Duration saveTimeout) {
            this.pipeline = pipeline;
            this.store = store;
            this.saveTimeout = saveTimeout;
        }

        public MailStore store() {
            return store;
        }

        /**
         * Waits (at most {@code max}) for the saves already given to this generation, then closes it.
         *
         * @return false when saves were still running at the deadline (they then fail with 451)
         */
        public boolean retire(Duration max) {
            boolean drained = awaitIdle(inFlight, max);
            close();
            return drained;
        }

        void close() {
            pipeline.close();
            store.close();
        }
    }

    private volatile Generation current;

    public SwappableDelivery(Generation first) {
        this.current = first;
    }

    public MailStore store() {
        return current.store;
    }

    @Override
    public boolean validatesRecipients() {
        return current.pipeline.validatesRecipients();
    }

    @Override
    public CompletableFuture<Boolean> validateRecipient(MailAddress rcpt) {
        return current.pipeline.validateRecipient(rcpt);
    }

    @Override
    public CompletableFuture<Void> save(Envelope envelope) {
        Generation g;
        while (true) {
            g = current;
            g.inFlight.incrementAndGet();
            // A swap between reading and counting would let this save reach a generation being retired.
            if (g == current) {
                break;
            }
            g.inFlight.decrementAndGet();
        }
        Generation saving = g;
        SaveClaim claim = new SaveClaim();
        CompletableFuture<Void> answer = new CompletableFuture<>();
        // At the timeout the save is answered 451 only if it is given up on before the store took it into a
        // transaction; then it is never written. Once taken, the answer is that transaction's outcome,
        // which the store bounds (query and socket timeouts). A 451 whose row is committed later would be
        // stored twice when the sender retries.
        ScheduledFuture<?> timeout = TIMER.schedule(() -> {
            if (claim.abandon()) {
                answer.completeExceptionally(new TimeoutException("not taken by the store within store.timeout"));
            }
        }, g.saveTimeout.toMillis(), TimeUnit.MILLISECONDS);
        g.pipeline.save(envelope, claim).whenComplete((ok, err) -> {
            timeout.cancel(false);
            if (err == null) {
                answer.complete(null);
            } else {
                answer.completeExceptionally(err);
            }
        });
        // The count ends when the save is answered, once (a future completes once): a save given up on
        // stops counting at the timeout, however long a frozen database keeps its pipeline step waiting.
        return answer.whenComplete((ok, err) -> saving.inFlight.decrementAndGet());
    }

    /**
     * Makes {@code next} (already opened) take every save from now on.
     *
     * @return the generation replaced, for the caller to {@link Generation#retire} when convenient
     */
    public Generation swap(Generation next) {
        Generation old = current;
        current = next;
        return old;
    }

    /** Saves handed to the current generation and not yet finished. */
    public int inFlight() {
        return current.inFlight.get();
    }

    /** Waits at most {@code max} for the current generation's saves; false if some were still running. */
    public boolean awaitIdle(Duration max) {
        return awaitIdle(current.inFlight, max);
    }

    @Override
    public boolean isHealthy() {
        return current.pipeline.isHealthy();
    }

    /** Readiness: every service answered its last attempt and the store answers a query now (blocks). */
    public boolean ping() {
        Generation g = current;
        return g.pipeline.isHealthy() && g.store.ping();
    }

    @Override
    public void close() {
        current.close();
    }

    private static boolean awaitIdle(AtomicInteger inFlight, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (inFlight.get() > 0) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return inFlight.get() == 0;
            }
        }
        return true;
    }
}
