package io.guerrilla.smtpd.smtp;

/**
 * The fixed replies, in one place so that codes stay consistent and each is encoded once.
 * Codes follow RFC 5321 section 4.2 and RFC 3463; where go-guerrilla deviates (NOOP 200, oversize
 * 451, relay 454, backend 554) these follow the RFCs and Postfix instead.
 */
public final class Replies {
    private Replies() {
    }

    public static final Reply OK = Reply.of(250, "2.0.0", "Ok");
    public static final Reply SENDER_OK = Reply.of(250, "2.1.0", "Ok");
    public static final Reply RECIPIENT_OK = Reply.of(250, "2.1.5", "Ok");
    public static final Reply START_DATA = Reply.of(354, null, "End data with <CR><LF>.<CR><LF>");
    public static final Reply BYE = Reply.of(221, "2.0.0", "Bye");
    public static final Reply VRFY = Reply.of(252, "2.5.2", "Cannot VRFY user, but will accept message and attempt delivery");
    public static final Reply HELP = Reply.of(214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP VRFY HELP QUIT; see RFC 5321");

    public static final Reply UNKNOWN_COMMAND = Reply.of(500, "5.5.2", "Error: command not recognized");
    public static final Reply EMPTY_COMMAND = Reply.of(500, "5.5.2", "Error: bad syntax");
    public static final Reply LINE_TOO_LONG = Reply.of(500, "5.5.2", "Error: line too long");
    public static final Reply BARE_NEWLINE_IN_COMMAND = Reply.of(500, "5.5.2", "Error: bare <CR> or <LF> in command; lines must end with <CR><LF>");
    public static final Reply INVALID_UTF8 = Reply.of(500, "5.5.2", "Error: command is not valid UTF-8");
    public static final Reply NOT_IMPLEMENTED = Reply.of(502, "5.5.1", "Error: command not implemented");
    public static final Reply NO_PARAMETERS_ALLOWED = Reply.of(501, "5.5.4", "Syntax error: no parameters allowed");

    public static final Reply HELO_FIRST = Reply.of(503, "5.5.1", "Error: send HELO/EHLO first");
    public static final Reply NESTED_MAIL = Reply.of(503, "5.5.1", "Error: nested MAIL command");
    public static final Reply NEED_MAIL = Reply.of(503, "5.5.1", "Error: need MAIL command");
    public static final Reply NEED_RCPT = Reply.of(503, "5.5.1", "Error: need RCPT command");
    public static final Reply NO_VALID_RECIPIENTS = Reply.of(554, "5.5.1", "Error: no valid recipients");
    public static final Reply HELO_SYNTAX = Reply.of(501, "5.5.4", "Syntax: HELO/EHLO hostname");
    public static final Reply VRFY_SYNTAX = Reply.of(501, "5.5.4", "Syntax: VRFY address");

    public static final Reply PARAMETERS_NEED_EHLO = Reply.of(555, "5.5.4", "Error: ESMTP parameters need EHLO");
    public static final Reply UNSUPPORTED_PARAMETER = Reply.of(555, "5.5.4", "Error: unsupported MAIL/RCPT parameter");
    public static final Reply BAD_BODY_PARAMETER = Reply.of(501, "5.5.4", "Error: BODY must be 7BIT, 8BITMIME or BINARYMIME");
    public static final Reply BAD_SIZE_PARAMETER = Reply.of(501, "5.5.4", "Error: bad SIZE parameter");
    public static final Reply SIZE_EXCEEDED = Reply.of(552, "5.3.4", "Error: message size exceeds fixed limit");
    public static final Reply UTF8_NEEDS_SMTPUTF8 = Reply.of(553, "5.6.7", "Error: non-ASCII address requires SMTPUTF8");
    public static final Reply RELAY_DENIED = Reply.of(550, "5.7.1", "Error: relay access denied");
    public static final Reply UNKNOWN_RECIPIENT = Reply.of(550, "5.1.1", "Error: no such recipient here");
    public static final Reply RECIPIENT_CHECK_FAILED = Reply.of(451, "4.3.0", "Error: cannot check the recipient now, try again later");
    public static final Reply TOO_MANY_RECIPIENTS = Reply.of(452, "4.5.3", "Error: too many recipients");

    public static final Reply BARE_NEWLINE_IN_DATA = Reply.of(550, "5.6.0", "Error: bare <CR> or <LF> in message; lines must end with <CR><LF>");
    public static final Reply DATA_LINE_TOO_LONG = Reply.of(552, "5.6.0", "Error: message line longer than 1000 octets (RFC 5321 4.5.3.1.6)");
    /** RFC 1870 and RFC 3463: too little room now (452, retry later), unlike a size above the fixed limit (552). */
    public static final Reply INSUFFICIENT_STORAGE = Reply.of(452, "4.3.1", "Error: insufficient system storage, try again later");
    public static final Reply STORE_FAILED = Reply.of(451, "4.3.0", "Error: message not stored, try again later");
    /** RFC 3463 4.3.1: no memory for one more message body now (see docs/memory.md). */
    public static final Reply NO_MEMORY_FOR_MESSAGE = Reply.of(451, "4.3.1", "Error: insufficient system resources, try again later");
    /** The JVM refused a buffer (it should not: see docs/memory.md); the connection cannot go on. */
    public static final Reply OUT_OF_MEMORY = Reply.of(421, "4.3.2", "Error: insufficient system resources, closing connection");
    /** A bug met the session (an unexpected exception): the client hears why and retries elsewhere or later. */
    public static final Reply INTERNAL_ERROR = Reply.of(421, "4.3.0", "Error: internal server error, closing connection");

    public static final Reply TOO_MANY_ERRORS = Reply.of(421, "4.7.0", "Error: too many errors, closing connection");
    public static final Reply TOO_MANY_CONNECTIONS = Reply.of(421, "4.7.0", "Error: too many connections, try again later");
    public static final Reply TIMEOUT = Reply.of(421, "4.4.2", "Error: timeout exceeded, closing connection");
    public static final Reply SHUTTING_DOWN = Reply.of(421, "4.3.2", "Service shutting down, closing connection");

    public static final Reply BDAT_SYNTAX = Reply.of(501, "5.5.4", "Syntax: BDAT chunk-size [LAST]");
    public static final Reply DATA_AFTER_BDAT = Reply.of(503, "5.5.1", "Error: DATA and BDAT cannot be mixed in one transaction");
    public static final Reply BINARYMIME_NEEDS_BDAT = Reply.of(503, "5.5.1", "Error: BODY=BINARYMIME requires BDAT");
    public static final Reply IMPROPER_PIPELINING = Reply.of(554, "5.5.0", "Error: improper command pipelining after DATA; closing connection");
    public static final Reply BINARY_INPUT = Reply.of(500, "5.5.2", "Error: binary data or TLS handshake on a plaintext SMTP connection; closing connection");
    public static final Reply TOO_MANY_MESSAGES = Reply.of(421, "4.7.0", "Error: too many messages on one connection, closing connection");
    public static final Reply TOO_MANY_CONNECTIONS_FROM_IP = Reply.of(421, "4.7.0", "Error: too many connections from your address, try again later");
    public static final Reply CONNECTION_RATE_EXCEEDED = Reply.of(421, "4.7.0", "Error: too many connections per minute from your address, try again later");
    public static final Reply DATA_RATE_TOO_LOW = Reply.of(421, "4.4.2", "Error: data rate too low, closing connection");

    /** Reply to a BDAT chunk that is not the last: RFC 3030 section 2 asks for a 250 per chunk. */
    public static Reply chunkReceived(long octets) {
        return Reply.of(250, "2.0.0", "Ok: " + octets + " octets received");
    }

    public static final Reply READY_FOR_TLS = Reply.of(220, "2.0.0", "Ready to start TLS");
    public static final Reply TLS_ALREADY_ACTIVE = Reply.of(503, "5.5.1", "Error: TLS already active");
    public static final Reply IN_TRANSACTION = Reply.of(503, "5.5.1", "Error: MAIL transaction in progress");
    public static final Reply XCLIENT_DENIED = Reply.of(550, "5.7.0", "Error: insufficient authorization");
    public static final Reply UNTRUSTED_PROXY = Reply.of(421, "4.7.0", "Error: PROXY protocol expected from a trusted proxy only");

    public static Reply queued(String id) {
        return Reply.of(250, "2.0.0", "Ok: queued as " + id);
    }
}
