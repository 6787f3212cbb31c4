package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.mail.Envelope;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The store the listeners save into, replaceable while they run (config reload). Each store is
 * wrapped with a count of saves it has not finished yet, so a replaced store is closed only after
 * the messages already handed to it are committed (or failed) and answered; and shutdown can wait
 * for every in-flight save.
 */
public final class SwappableStore implements MailStore {
    private static final long POLL_MILLIS = 10;

    /** One store and the saves it still owes an answer for. */
    public static final class Generation {
        private final MailStore store;
        private final AtomicInteger inFlight = new AtomicInteger();

        private Generation(MailStore store) {
            this.store = store;
        }

        /**
         * Waits (at most {@code max}) for the saves already given to this store, then closes it.
         *
         * @return false when saves were still running at the deadline (they then fail with 451)
         */
        public boolean retire(Duration max) {
            boolean drained = awaitIdle(inFlight, max);
            store.close();
            return drained;
        }
    }

    private volatile Generation current;

    public SwappableStore(MailStore first) {
        this.current = new Generation(first);
    }

    @Override
    public void open() throws StoreException {
        current.store.open();
    }

    @Override
    public CompletableFuture<Void> save(Envelope envelope) {
        Generation g;
        while (true) {
            g = current;
            g.inFlight.incrementAndGet();
            // A swap between reading and counting would let this save reach a store being retired.
            if (g == current) {
                break;
            }
            g.inFlight.decrementAndGet();
        }
        Generation saving = g;
        return g.store.save(envelope).whenComplete((ok, err) -> saving.inFlight.decrementAndGet());
    }

    /**
     * Makes {@code next} (already opened) take every save from now on.
     *
     * @return the store replaced, for the caller to {@link Generation#retire} when convenient
     */
    public Generation swap(MailStore next) {
        Generation old = current;
        current = new Generation(next);
        return old;
    }

    /** Saves handed to the current store and not yet finished. */
    public int inFlight() {
        return current.inFlight.get();
    }

    /** Waits at most {@code max} for the current store's saves; false if some were still running. */
    public boolean awaitIdle(Duration max) {
        return awaitIdle(current.inFlight, max);
    }

    @Override
    public boolean isHealthy() {
        return current.store.isHealthy();
    }

    @Override
    public void close() {
        current.store.close();
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
