package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.config.HostPort;

import java.nio.channels.UnresolvedAddressException;
import java.util.Locale;

/**
 * A listener could not bind its address. The message names the address and the reason in the
 * operator's words ({@code cannot listen on 127.0.0.1:25: permission denied}), which is what the
 * exception text of the transport (a native bind(2) error, a BindException) does not say.
 */
public final class ListenException extends RuntimeException {

    public ListenException(HostPort address, Throwable cause) {
        super("cannot listen on " + address + ": " + reason(cause), cause);
    }

    /** The system's words for why, lower case, without the transport's prefix ("bind(..) failed: "). */
    private static String reason(Throwable cause) {
        if (cause instanceof UnresolvedAddressException) {
            return "cannot resolve the host";
        }
        String m = cause.getMessage();
        if (m == null || m.isBlank()) {
            return cause.getClass().getSimpleName();
        }
        int colon = m.lastIndexOf(": ");
        return (colon < 0 ? m : m.substring(colon + 2)).toLowerCase(Locale.ROOT);
    }
}
