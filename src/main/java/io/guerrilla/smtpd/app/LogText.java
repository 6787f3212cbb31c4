package io.guerrilla.smtpd.app;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import org.slf4j.event.KeyValuePair;

import java.util.List;

/**
 * The text log line after the level and logger: the message, then each key-value pair as
 * {@code key=value}. A log line is read by people and by grep, awk and log shippers that split it on
 * blanks and {@code =}; much of what goes into it comes from clients (HELO, MAIL FROM, RCPT TO), who
 * would otherwise forge fields ({@code "x code=999 client=6.6.6.6"@example.net}) or whole lines (CR
 * LF) and drive the terminal of whoever reads the log (ESC sequences). So a value is quoted when it
 * is empty or holds a blank, {@code =}, a quote, a backslash or a control character, and inside the
 * quotes backslash, quote and every control or invisible character are escaped. The message itself
 * is not quoted (client text belongs in key-value pairs, not in messages) but its control and
 * invisible characters are escaped too, so no argument can end the line. This is the one place that
 * does it: every text line of every logger passes here.
 */
public final class LogText extends ClassicConverter {

    @Override
    public String convert(ILoggingEvent event) {
        StringBuilder b = new StringBuilder(128);
        escape(b, event.getFormattedMessage(), false);
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair kv : pairs) {
                b.append(' ');
                escape(b, kv.key, false);
                b.append('=');
                appendValue(b, String.valueOf(kv.value));
            }
        }
        return b.toString();
    }

    /** {@code value} as is when that is unambiguous, else quoted and escaped. */
    static void appendValue(StringBuilder b, String value) {
        if (!needsQuotes(value)) {
            b.append(value);
            return;
        }
        b.append('"');
        escape(b, value, true);
        b.append('"');
    }

    private static boolean needsQuotes(String s) {
        if (s.isEmpty()) {
            return true;
        }
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (c == ' ' || c == '=' || c == '"' || c == '\\' || mustEscape(c)) {
                return true;
            }
        }
        return false;
    }

    /** Appends {@code s} with every control or invisible character escaped, and backslash and quote when quoted. */
    private static void escape(StringBuilder b, String s, boolean quoted) {
        if (s == null) {
            b.append("null");
            return;
        }
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            switch (c) {
                case '\\' -> b.append(quoted ? "\\\\" : "\\");
                case '"' -> b.append(quoted ? "\\\"" : "\"");
                case '\r' -> b.append("\\r");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> {
                    if (mustEscape(c)) {
                        b.append(String.format("\\u%04X", c));
                    } else {
                        b.appendCodePoint(c);
                    }
                }
            }
        }
    }

    /**
     * C0 and C1 controls and DEL, which end lines and drive terminals, and the invisible Unicode
     * characters that reorder or hide what a reader sees (bidi overrides such as U+202E, zero-width
     * characters, the line and paragraph separators); a lone surrogate is not text either.
     */
    private static boolean mustEscape(int c) {
        if (Character.isISOControl(c)) {
            return true;
        }
        int type = Character.getType(c);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
                || type == Character.SURROGATE;
    }
}
