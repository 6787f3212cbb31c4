package io.guerrilla.smtpd.support;

import java.util.Locale;

/** Runs a check under another default locale and puts the old one back. */
public final class DefaultLocale {
    /** Upper-cases i to a dotted İ and lower-cases I to a dotless ı: the classic locale bug. */
    public static final Locale TURKISH = Locale.forLanguageTag("tr-TR");

    private DefaultLocale() {
    }

    public static void with(Locale locale, Runnable check) {
        Locale before = Locale.getDefault();
        Locale.setDefault(locale);
        try {
            check.run();
        } finally {
            Locale.setDefault(before);
        }
    }
}
