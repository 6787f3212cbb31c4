package io.guerrilla.smtpd.smtp;

/**
 * A client-supplied path, parameter or domain that cannot be accepted, carrying the SMTP reply
 * (RFC 5321 section 4.2) and the enhanced status code (RFC 3463) the session should send back.
 */
public final class AddressException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int code;
    private final String enhancedCode;

    /**
     * @param code the three-digit reply code, e.g. 501
     * @param enhancedCode the RFC 3463 status code, e.g. {@code "5.1.3"}
     * @param message human-readable reply text
     */
    public AddressException(int code, String enhancedCode, String message) {
        // No stack trace: this is a routine answer to bad client input, thrown on hostile
        // traffic at line rate, never a programming error worth the cost of capturing one.
        super(message, null, false, false);
        this.code = code;
        this.enhancedCode = enhancedCode;
    }

    public int code() {
        return code;
    }

    public String enhancedCode() {
        return enhancedCode;
    }
}
