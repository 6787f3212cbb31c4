package io.guerrilla.smtpd.config;

import java.util.Locale;

/** The Compressor's format ({@code compress}, any case); the row's {@code body} column names it, lower case. */
public enum Compression {
    /** RFC 1950, what go-guerrilla writes. */
    ZLIB,
    /** RFC 1952, what {@code gunzip} reads. */
    GZIP;

    /** The name in configs and in the row's {@code body} column. */
    public String body() {
        return name().toLowerCase(Locale.ROOT);
    }
}
