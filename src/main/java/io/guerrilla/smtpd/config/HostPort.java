package io.guerrilla.smtpd.config;

import java.util.List;

/** A listen address, {@code host:port} or {@code [v6]:port}. */
public record HostPort(String host, int port) {

    /** For a listener's {@code listen} key, where empty turns the listener off: adds what is wrong. */
    static void checkOptional(String key, String listen, List<String> errors) {
        if (listen != null && !listen.isBlank()) {
            try {
                parse(listen);
            } catch (IllegalArgumentException e) {
                errors.add(key + ": " + e.getMessage());
            }
        }
    }

    public static HostPort parse(String s) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException("must be HOST:PORT");
        }
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("\"" + s + "\" is not HOST:PORT");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port of \"" + s + "\" is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port of \"" + s + "\" is out of range 0-65535");
        }
        return new HostPort(host, port);
    }

    /** As written in a config: {@code host:port}, an IPv6 host in brackets. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
