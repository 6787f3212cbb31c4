package io.guerrilla.smtpd.app;

/** A new config could not be put into service; the running one was kept unchanged. */
public final class ReloadException extends Exception {
    public ReloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
