package io.guerrilla.smtpd.smtp;

/** The command words this server knows; anything else is {@link #UNKNOWN}. */
public enum Verb {
    HELO, EHLO, MAIL, RCPT, DATA, BDAT, RSET, NOOP, VRFY, EXPN, HELP, QUIT, STARTTLS, XCLIENT, UNKNOWN, EMPTY;

    private static final Verb[] KNOWN = {HELO, EHLO, MAIL, RCPT, DATA, BDAT, RSET, NOOP, VRFY, EXPN, HELP, QUIT, STARTTLS, XCLIENT};

    /** Case-insensitive (RFC 5321 2.4) lookup of the word {@code line[0, end)}, without allocating. */
    static Verb lookup(String line, int end) {
        if (end == 0) {
            return EMPTY;
        }
        for (Verb v : KNOWN) {
            String name = v.name();
            if (name.length() == end && name.regionMatches(true, 0, line, 0, end)) {
                return v;
            }
        }
        return UNKNOWN;
    }
}
