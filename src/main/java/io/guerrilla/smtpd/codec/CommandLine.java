package io.guerrilla.smtpd.codec;

/** One framed command line, or the reason the bytes up to the next CRLF are not a usable line. */
public record CommandLine(Kind kind, String text) {

    public enum Kind {
        /** A well-formed line; {@link #text} holds it without its CRLF. */
        LINE,
        /** Longer than the command line limit; the bytes were discarded up to and including CRLF. */
        TOO_LONG,
        /** Contains a CR or LF that is not the terminating CRLF. */
        BARE_NEWLINE,
        /** Not valid UTF-8. */
        INVALID_UTF8,
        /**
         * Control bytes (NUL, ESC, the 0x16 of a TLS handshake...) where text should be: checked as
         * bytes arrive, so binary without a CRLF is caught at once; the rest of the input is consumed.
         */
        BINARY
    }

    static final CommandLine TOO_LONG = new CommandLine(Kind.TOO_LONG, null);
    static final CommandLine BARE_NEWLINE = new CommandLine(Kind.BARE_NEWLINE, null);
    static final CommandLine INVALID_UTF8 = new CommandLine(Kind.INVALID_UTF8, null);
    static final CommandLine BINARY = new CommandLine(Kind.BINARY, null);
}
