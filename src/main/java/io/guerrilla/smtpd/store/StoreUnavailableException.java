package io.guerrilla.smtpd.store;

/**
 * The store as a whole cannot be reached (database down, no connection within the timeout): no item of
 * a batch can succeed, so the batch fails at once instead of being retried item by item.
 */
public class StoreUnavailableException extends StoreException {
    public StoreUnavailableException(String message) {
        super(message);
    }

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
