package io.guerrilla.smtpd.store;

/** A store could not be opened, checked or written. */
public class StoreException extends Exception {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
