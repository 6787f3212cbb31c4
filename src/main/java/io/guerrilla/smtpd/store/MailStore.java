package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.mail.Envelope;

import java.util.concurrent.CompletableFuture;

/**
 * Where accepted messages go. The contract that "250 means stored" rests on: the future returned by
 * {@link #save} completes normally only once every row of the message is durably committed, and
 * exceptionally if any is not (then none is). Implementations never block the caller.
 *
 * <p>Ownership: {@code save} takes one reference to the envelope's body and releases it when done
 * with the bytes, which may be after the future completed exceptionally on a timeout.
 */
public interface MailStore extends AutoCloseable {

    /** Connects and creates the schema when missing; fails with a message saying what is wrong. */
    void open() throws StoreException;

    CompletableFuture<Void> save(Envelope envelope);

    /**
     * True when the store can take messages now: its backing service answers and its writer runs.
     * May block briefly (a network round trip), so call it off the event loop.
     */
    default boolean isHealthy() {
        return true;
    }

    /** Finishes what was submitted, then disconnects. */
    @Override
    void close();
}
