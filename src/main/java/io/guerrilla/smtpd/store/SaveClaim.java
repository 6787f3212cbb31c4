package io.guerrilla.smtpd.store;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who decides one message's fate when its save runs late: the writer taking it into a transaction, or
 * the store timeout giving up on it. Whichever comes first wins, once: a message given up on (and
 * answered 451) is never written afterwards, and a message taken into a transaction is answered by
 * that transaction's real outcome, not by the timeout. Without it a timed-out message could still be
 * committed later, and the sender's retry would store it twice.
 */
public final class SaveClaim {
    private static final int WAITING = 0;
    private static final int TAKEN = 1;
    private static final int ABANDONED = 2;

    private final AtomicInteger state = new AtomicInteger(WAITING);

    /** The writer's side: true if the message may go into the transaction about to be written. */
    public boolean take() {
        return state.compareAndSet(WAITING, TAKEN) || state.get() == TAKEN;
    }

    /** The timeout's side: true if the message is now certain never to be written. */
    public boolean abandon() {
        return state.compareAndSet(WAITING, ABANDONED);
    }

    public boolean abandoned() {
        return state.get() == ABANDONED;
    }

    /** The save was given up on (and answered 451) before the store took it: nothing of it was written. */
    public static final class AbandonedException extends Exception {
        public AbandonedException() {
            super("given up on before the store took it", null, false, false);
        }
    }
}
