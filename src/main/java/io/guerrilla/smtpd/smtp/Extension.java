package io.guerrilla.smtpd.smtp;

import java.util.Locale;
import java.util.Optional;

/**
 * The ESMTP extensions a listener may switch off ({@code disabled_extensions}). ENHANCEDSTATUSCODES
 * is not among them: every reply carries an enhanced code anyway. STARTTLS and XCLIENT follow their
 * own settings (tls.start_tls, xclient_trusted).
 */
public enum Extension {
    SIZE("SIZE"),
    PIPELINING("PIPELINING"),
    EIGHT_BIT_MIME("8BITMIME"),
    SMTPUTF8("SMTPUTF8"),
    CHUNKING("CHUNKING"),
    BINARYMIME("BINARYMIME");

    private final String keyword;

    Extension(String keyword) {
        this.keyword = keyword;
    }

    /** The EHLO keyword, as advertised. */
    public String keyword() {
        return keyword;
    }

    public static Optional<Extension> byKeyword(String keyword) {
        for (Extension e : values()) {
            if (e.keyword.equalsIgnoreCase(keyword == null ? "" : keyword.trim())) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return keyword.toUpperCase(Locale.ROOT);
    }
}
