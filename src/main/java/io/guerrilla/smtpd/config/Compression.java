package io.guerrilla.smtpd.config;

import java.util.Locale;

/** The Compressor's format ({@code compress}); the row's {@code body} column names it, lower case. */
public enum Compression {
    /** RFC 1950, what go-guerrilla writes. */
    ZLIB,
    /** RFC 1952, what {@code gunzip} reads. */
    GZIP;

    /** The format a config names, in any case; null when it names none. */
    public static Compression of(String name) {
        for (Compression c : values()) {
            if (c.body().equals(ListenerConfig.lower(name))) {
                return c;
            }
        }
        return null;
    }

    /** The name in configs and in the row's {@code body} column. */
    public String body() {
        return name().toLowerCase(Locale.ROOT);
    }
}
