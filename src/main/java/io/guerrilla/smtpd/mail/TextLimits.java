package io.guerrilla.smtpd.mail;

/** Cutting text to a column or field width without splitting a character. */
public final class TextLimits {
    private TextLimits() {
    }

    /**
     * The first {@code maxChars} UTF-16 units of {@code s}, one fewer when the cut would split a
     * surrogate pair: half a pair is not a character, and a database would refuse or mangle it.
     */
    public static String cap(String s, int maxChars) {
        if (s.length() <= maxChars) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        return s.substring(0, end);
    }
}
