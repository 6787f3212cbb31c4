package io.guerrilla.smtpd.smtp;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The SMTP protocol of one connection, as a pure function of the commands it is given: a command
 * goes in, a reply and an {@link Action} come out. It never touches a socket, a clock or a store, so
 * every rule of RFC 5321 here is tested without I/O; the Netty handler does what the action says.
 */
public final class SessionStateMachine {

    /** Where the session is in the RFC 5321 command sequence (section 4.1.4). */
    public enum State { CONNECTED, GREETED, MAIL, RCPT, DATA, STORING, CLOSED, BDAT }

    private final SessionPolicy policy;
    private State state = State.CONNECTED;
    private String helo = "";
    private boolean esmtp;
    private boolean tls;
    private int badCommands;
    private boolean startTlsOffered;
    private boolean xclientTrusted;
    /** The client's IP as the connection (or a trusted proxy, or XCLIENT) gave it. */
    private String clientAddress = "";
    /** XCLIENT HELO and PROTO outlive later HELO/EHLO commands, as Postfix's XCLIENT_README requires. */
    private String xclientHelo;
    private String xclientProto;

    private MailAddress mailFrom;
    private boolean smtpUtf8;
    private final List<MailAddress> recipients = new ArrayList<>();
    /** Lets DATA say "no valid recipients" (554) rather than "need RCPT" (503), as Postfix does. */
    private boolean recipientsWereRejected;
    private boolean binaryMime;

    private long chunkSize;
    private boolean chunkLast;
    /** Why the BDAT chunk being read is refused; null when it belongs to the transaction. */
    private Reply chunkRejection;
    /** Messages whose content was read to the end on this connection, accepted or not. */
    private int messages;
    private boolean validateRecipients;
    private MailAddress pendingRecipient;

    private final StorageSpace space;

    public SessionStateMachine(SessionPolicy policy) {
        this(policy, StorageSpace.UNLIMITED);
    }

    /** @param space the free space guard's last sample; below its reserve MAIL gets 452 4.3.1 */
    public SessionStateMachine(SessionPolicy policy, StorageSpace space) {
        this.policy = policy;
        this.space = space;
    }

    public Reply greeting() {
        return Reply.of(220, null, policy.hostName() + " ESMTP Guerrilla SMTPd");
    }

    public Outcome handle(SmtpCommand cmd) {
        return switch (cmd.verb()) {
            case HELO -> helo(cmd, false);
            case EHLO -> helo(cmd, true);
            case MAIL -> mail(cmd);
            case RCPT -> rcpt(cmd);
            case DATA -> data(cmd);
            case RSET -> cmd.hasArgument() ? syntaxError(Replies.NO_PARAMETERS_ALLOWED) : rset();
            case NOOP -> Outcome.reply(Replies.OK);
            case VRFY -> cmd.hasArgument() ? Outcome.reply(Replies.VRFY) : syntaxError(Replies.VRFY_SYNTAX);
            case HELP -> Outcome.reply(Replies.HELP);
            case QUIT -> quit();
            case BDAT -> bdat(cmd);
            case STARTTLS -> startTls(cmd);
            case XCLIENT -> xclient(cmd);
            case EXPN -> syntaxError(Replies.NOT_IMPLEMENTED);
            case EMPTY -> syntaxError(Replies.EMPTY_COMMAND);
            case UNKNOWN -> syntaxError(Replies.UNKNOWN_COMMAND);
        };
    }

    /**
     * A line the framer could not turn into a command (too long, bare CR/LF, invalid UTF-8): it
     * counts as a bad command so that garbage cannot hold the connection forever.
     */
    public Outcome rejectLine(Reply reply) {
        return syntaxError(reply);
    }

    /** Called when the framer has read the end of data (CRLF.CRLF) of the current message. */
    public Outcome endOfData(DataResult result) {
        requireState(State.DATA);
        Reply error = null;
        if (result.tooBig()) {
            error = Replies.SIZE_EXCEEDED;
        } else if (result.bareNewline()) {
            error = Replies.BARE_NEWLINE_IN_DATA;
        } else if (result.lineTooLong()) {
            error = Replies.DATA_LINE_TOO_LONG;
        }
        messages++;
        if (error != null) {
            resetTransaction();
            return Outcome.reply(error);
        }
        state = State.STORING;
        return new Outcome(null, Action.STORE);
    }

    /**
     * Lines that arrived behind a refused DATA in the same read. RFC 2920 section 3.1 makes DATA the
     * last command of a group; a client that sends its content anyway would have that content run as
     * commands, which is how a message body could smuggle a transaction. Close instead, as Postfix
     * does for improper pipelining.
     */
    public Outcome improperPipelining() {
        state = State.CLOSED;
        return new Outcome(Replies.IMPROPER_PIPELINING, Action.CLOSE);
    }

    /**
     * Control bytes where a command should be: a TLS ClientHello on the plaintext port, or binary
     * garbage. No SMTP client sends them, and there is no line to resynchronise on, so close.
     */
    public Outcome rejectBinary() {
        state = State.CLOSED;
        return new Outcome(Replies.BINARY_INPUT, Action.CLOSE);
    }

    /** The size of the BDAT chunk to read after a {@link Action#READ_CHUNK}. */
    public long chunkSize() {
        return chunkSize;
    }

    /** Whether the BDAT chunk to read belongs to the message (else it is read and discarded). */
    public boolean chunkAccepted() {
        return chunkRejection == null;
    }

    /**
     * Called when the BDAT chunk has been read. Size is checked per chunk, so the client stops
     * sending at the first chunk past the limit rather than at LAST (RFC 3030 section 4.2: a 5xx to
     * any chunk fails the transaction; later chunks then get 503 and are discarded).
     */
    public Outcome endOfChunk(DataResult result) {
        if (chunkRejection != null) {
            Reply r = chunkRejection;
            chunkRejection = null;
            return Outcome.reply(r);
        }
        requireState(State.BDAT);
        if (result.tooBig()) {
            messages++;
            resetTransaction();
            return Outcome.reply(Replies.SIZE_EXCEEDED);
        }
        if (!chunkLast) {
            return Outcome.reply(Replies.chunkReceived(chunkSize));
        }
        messages++;
        state = State.STORING;
        return new Outcome(null, Action.STORE);
    }

    private Outcome bdat(SmtpCommand cmd) {
        // Not offered, so not read as a chunk: the bytes that follow are taken as commands, as by
        // any server without CHUNKING; a client that sends BDAT unasked is broken anyway.
        if (!policy.enabled(Extension.CHUNKING)) {
            return syntaxError(Replies.NOT_IMPLEMENTED);
        }
        String[] words = cmd.argument().trim().split(" +");
        long size = parseSize(words[0]);
        if (size < 0 || words.length > 2 || (words.length == 2 && !words[1].equalsIgnoreCase("LAST"))) {
            return syntaxError(Replies.BDAT_SYNTAX);
        }
        chunkSize = size;
        chunkLast = words.length == 2;
        chunkRejection = switch (state) {
            case CONNECTED -> Replies.HELO_FIRST;
            case GREETED -> Replies.NEED_MAIL;
            case MAIL -> recipientsWereRejected ? Replies.NO_VALID_RECIPIENTS : Replies.NEED_RCPT;
            default -> null;
        };
        if (chunkRejection == null) {
            state = State.BDAT;
        }
        return new Outcome(null, Action.READ_CHUNK);
    }

    /**
     * The server has no memory for the message just begun (after DATA was accepted, or at its first
     * BDAT chunk): 451 4.3.1 and the transaction is over. A refused chunk is still read and dropped,
     * and answered at its end.
     */
    public Outcome noMemoryForMessage() {
        if (state == State.DATA) {
            resetTransaction();
            return Outcome.reply(Replies.NO_MEMORY_FOR_MESSAGE);
        }
        requireState(State.BDAT);
        resetTransaction();
        chunkRejection = Replies.NO_MEMORY_FOR_MESSAGE;
        return new Outcome(null, Action.READ_CHUNK);
    }

    /** Called on the event loop once the store has committed (or failed to commit) the message. */
    public Outcome stored(boolean committed, String queueId) {
        requireState(State.STORING);
        resetTransaction();
        return Outcome.reply(committed ? Replies.queued(queueId) : Replies.STORE_FAILED);
    }

    private Outcome helo(SmtpCommand cmd, boolean extended) {
        String arg = cmd.argument().trim();
        if (arg.isEmpty()) {
            return syntaxError(Replies.HELO_SYNTAX);
        }
        helo = arg;
        esmtp = extended;
        resetTransaction();
        if (!extended) {
            return Outcome.reply(Reply.of(250, null, policy.hostName()));
        }
        return Outcome.reply(ehloReply());
    }

    private Reply ehloReply() {
        List<String> lines = new ArrayList<>();
        lines.add(policy.hostName());
        for (Extension e : Extension.values()) {
            if (policy.enabled(e)) {
                lines.add(e == Extension.SIZE ? "SIZE " + policy.maxMessageSize() : e.keyword());
            }
        }
        lines.add("ENHANCEDSTATUSCODES");
        lines.addAll(connectionExtensions());
        return new Reply(250, null, lines);
    }

    /** Extensions that depend on this connection: STARTTLS until TLS is on, XCLIENT for trusted clients. */
    private List<String> connectionExtensions() {
        List<String> ext = new ArrayList<>(2);
        if (startTlsOffered && !tls) {
            ext.add("STARTTLS");
        }
        if (xclientTrusted) {
            ext.add("XCLIENT " + XclientAttributes.SUPPORTED);
        }
        return ext;
    }

    /** RFC 3207 section 4: no parameters; refused inside TLS and, as Postfix does, inside a transaction. */
    private Outcome startTls(SmtpCommand cmd) {
        if (tls) {
            return syntaxError(Replies.TLS_ALREADY_ACTIVE);
        }
        if (!startTlsOffered) {
            return syntaxError(Replies.NOT_IMPLEMENTED);
        }
        if (cmd.hasArgument()) {
            return syntaxError(Replies.NO_PARAMETERS_ALLOWED);
        }
        if (inTransaction()) {
            return Outcome.reply(Replies.IN_TRANSACTION);
        }
        return new Outcome(Replies.READY_FOR_TLS, Action.START_TLS);
    }

    /**
     * RFC 3207 section 4.2: after the handshake the client knows nothing from before it, so the
     * session starts again from the greeting stage and needs a new EHLO.
     */
    public void resetForTls() {
        helo = "";
        esmtp = false;
        tls = true;
        resetTransaction();
    }

    /**
     * Postfix XCLIENT: a trusted client (a content filter, a front end) names the client it speaks
     * for; the session then starts over from the greeting stage, answered with a new 220.
     */
    private Outcome xclient(SmtpCommand cmd) {
        if (!xclientTrusted) {
            return syntaxError(Replies.XCLIENT_DENIED);
        }
        if (inTransaction()) {
            return Outcome.reply(Replies.IN_TRANSACTION);
        }
        XclientAttributes x;
        try {
            x = XclientAttributes.parse(cmd.argument());
        } catch (IllegalArgumentException e) {
            return syntaxError(Reply.of(501, "5.5.4", e.getMessage()));
        }
        if (x.addr() != null) {
            clientAddress = x.addr();
        }
        if (x.helo() != null) {
            xclientHelo = x.helo();
        }
        if (x.proto() != null) {
            xclientProto = x.proto();
        }
        helo = "";
        esmtp = false;
        resetTransaction();
        return Outcome.reply(greeting());
    }

    private boolean inTransaction() {
        return state == State.MAIL || state == State.RCPT || state == State.DATA || state == State.BDAT
                || state == State.STORING;
    }

    private Outcome mail(SmtpCommand cmd) {
        if (state == State.CONNECTED) {
            return Outcome.reply(Replies.HELO_FIRST);
        }
        if (state != State.GREETED) {
            return Outcome.reply(Replies.NESTED_MAIL);
        }
        if (messages >= policy.maxMessagesPerConnection()) {
            state = State.CLOSED;
            return new Outcome(Replies.TOO_MANY_MESSAGES, Action.CLOSE);
        }
        PathArgument path;
        try {
            path = AddressParser.parseMailFrom(cmd.argument());
        } catch (AddressException e) {
            return syntaxError(Reply.of(e.code(), e.enhancedCode(), e.getMessage()));
        }
        Map<String, String> params = path.parameters();
        if (!params.isEmpty() && !esmtp) {
            return Outcome.reply(Replies.PARAMETERS_NEED_EHLO);
        }
        long room = space.headroom();
        if (room <= 0) {
            return Outcome.reply(Replies.INSUFFICIENT_STORAGE);
        }
        boolean utf8 = false;
        boolean binary = false;
        for (Map.Entry<String, String> p : params.entrySet()) {
            switch (p.getKey()) {
                case "SIZE" -> {
                    if (!policy.enabled(Extension.SIZE)) {
                        return Outcome.reply(Replies.UNSUPPORTED_PARAMETER);
                    }
                    long declared = parseSize(p.getValue());
                    if (declared < 0) {
                        return syntaxError(Replies.BAD_SIZE_PARAMETER);
                    }
                    if (declared > policy.maxMessageSize()) {
                        return Outcome.reply(Replies.SIZE_EXCEEDED);
                    }
                    if (declared > room) {
                        return Outcome.reply(Replies.INSUFFICIENT_STORAGE);
                    }
                }
                case "BODY" -> {
                    String v = p.getValue();
                    if (v == null || !(v.equalsIgnoreCase("7BIT") || v.equalsIgnoreCase("8BITMIME")
                            || v.equalsIgnoreCase("BINARYMIME"))) {
                        return syntaxError(Replies.BAD_BODY_PARAMETER);
                    }
                    binary = v.equalsIgnoreCase("BINARYMIME");
                    // RFC 1652 / RFC 3030: a BODY value is only valid when its extension was offered.
                    if ((binary && !policy.enabled(Extension.BINARYMIME))
                            || (v.equalsIgnoreCase("8BITMIME") && !policy.enabled(Extension.EIGHT_BIT_MIME))) {
                        return Outcome.reply(Replies.UNSUPPORTED_PARAMETER);
                    }
                }
                case "SMTPUTF8" -> {
                    if (!policy.enabled(Extension.SMTPUTF8)) {
                        return Outcome.reply(Replies.UNSUPPORTED_PARAMETER);
                    }
                    if (p.getValue() != null) {
                        return syntaxError(Replies.UNSUPPORTED_PARAMETER);
                    }
                    utf8 = true;
                }
                default -> {
                    return Outcome.reply(Replies.UNSUPPORTED_PARAMETER);
                }
            }
        }
        if (!utf8 && !path.address().isAscii()) {
            return Outcome.reply(Replies.UTF8_NEEDS_SMTPUTF8);
        }
        mailFrom = path.address();
        smtpUtf8 = utf8;
        binaryMime = binary;
        state = State.MAIL;
        return Outcome.reply(Replies.SENDER_OK);
    }

    /** SIZE value per RFC 1870: digits only; -1 when malformed. Overflow means "too big", not an error. */
    private static long parseSize(String v) {
        if (v == null || v.isEmpty()) {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
            if (n > Long.MAX_VALUE / 20) {
                return Long.MAX_VALUE;
            }
        }
        return n;
    }

    private Outcome rcpt(SmtpCommand cmd) {
        if (state == State.CONNECTED) {
            return Outcome.reply(Replies.HELO_FIRST);
        }
        if (state != State.MAIL && state != State.RCPT) {
            return Outcome.reply(Replies.NEED_MAIL);
        }
        PathArgument path;
        try {
            path = AddressParser.parseRcptTo(cmd.argument(), smtpUtf8);
        } catch (AddressException e) {
            return syntaxError(Reply.of(e.code(), e.enhancedCode(), e.getMessage()));
        }
        if (!path.parameters().isEmpty()) {
            return Outcome.reply(Replies.UNSUPPORTED_PARAMETER);
        }
        MailAddress rcpt = path.address();
        if (!smtpUtf8 && !rcpt.isAscii()) {
            return rejectRecipient(Replies.UTF8_NEEDS_SMTPUTF8);
        }
        // RFC 5321 4.5.1: the bare postmaster mailbox must be accepted whatever the domain policy.
        if (rcpt.domain() != null && !policy.allowedHosts().allows(rcpt.domain())) {
            return rejectRecipient(Replies.RELAY_DENIED);
        }
        if (recipients.size() >= policy.maxRecipients()) {
            return rejectRecipient(Replies.TOO_MANY_RECIPIENTS);
        }
        if (validateRecipients && !containsIgnoringDomainCase(rcpt)) {
            pendingRecipient = rcpt;
            return new Outcome(null, Action.VALIDATE_RCPT);
        }
        // A repeated recipient would store the same row twice; accept it but keep one.
        if (!containsIgnoringDomainCase(rcpt)) {
            recipients.add(rcpt);
        }
        state = State.RCPT;
        return Outcome.reply(Replies.RECIPIENT_OK);
    }

    /** Called on the event loop with the validate_process verdict on {@link #pendingRecipient()}. */
    public Outcome recipientValidated(RecipientVerdict verdict) {
        if (pendingRecipient == null) {
            throw new IllegalStateException("no recipient is being validated");
        }
        MailAddress rcpt = pendingRecipient;
        pendingRecipient = null;
        return switch (verdict) {
            case ACCEPT -> {
                recipients.add(rcpt);
                state = State.RCPT;
                yield Outcome.reply(Replies.RECIPIENT_OK);
            }
            case REJECT -> rejectRecipient(Replies.UNKNOWN_RECIPIENT);
            case TEMPFAIL -> rejectRecipient(Replies.RECIPIENT_CHECK_FAILED);
        };
    }

    private Outcome rejectRecipient(Reply reply) {
        recipientsWereRejected = true;
        return Outcome.reply(reply);
    }

    private boolean containsIgnoringDomainCase(MailAddress a) {
        for (MailAddress r : recipients) {
            if (r.localPart().equals(a.localPart())
                    && (r.domain() == null ? a.domain() == null : r.domain().equalsIgnoreCase(a.domain()))) {
                return true;
            }
        }
        return false;
    }

    private Outcome data(SmtpCommand cmd) {
        if (cmd.hasArgument()) {
            return syntaxError(Replies.NO_PARAMETERS_ALLOWED);
        }
        switch (state) {
            case CONNECTED:
                return Outcome.reply(Replies.HELO_FIRST);
            case GREETED:
                return Outcome.reply(Replies.NEED_MAIL);
            case MAIL:
                return Outcome.reply(recipientsWereRejected ? Replies.NO_VALID_RECIPIENTS : Replies.NEED_RCPT);
            case BDAT:
                return Outcome.reply(Replies.DATA_AFTER_BDAT);
            default:
                break;
        }
        if (binaryMime) {
            return Outcome.reply(Replies.BINARYMIME_NEEDS_BDAT);
        }
        state = State.DATA;
        return new Outcome(Replies.START_DATA, Action.START_DATA);
    }

    private Outcome rset() {
        if (state != State.CONNECTED) {
            resetTransaction();
        }
        return Outcome.reply(Replies.OK);
    }

    private Outcome quit() {
        state = State.CLOSED;
        return new Outcome(Replies.BYE, Action.CLOSE);
    }

    private Outcome syntaxError(Reply reply) {
        badCommands++;
        if (badCommands >= policy.maxBadCommands()) {
            state = State.CLOSED;
            return new Outcome(Replies.TOO_MANY_ERRORS, Action.CLOSE);
        }
        return Outcome.reply(reply);
    }

    private void resetTransaction() {
        mailFrom = null;
        smtpUtf8 = false;
        binaryMime = false;
        recipients.clear();
        recipientsWereRejected = false;
        state = helo.isEmpty() ? State.CONNECTED : State.GREETED;
    }

    private void requireState(State expected) {
        if (state != expected) {
            throw new IllegalStateException("expected " + expected + " but in " + state);
        }
    }

    public State state() {
        return state;
    }

    public SessionPolicy policy() {
        return policy;
    }

    /** The HELO name to record: XCLIENT's when it gave one, else the client's own. */
    public String helo() {
        return xclientHelo != null ? xclientHelo : helo;
    }

    /** Whether STARTTLS may be offered (the listener has TLS and this connection is not in it yet). */
    public void offerStartTls(boolean offered) {
        this.startTlsOffered = offered;
    }

    /** Whether this connection comes from a network allowed to use XCLIENT. */
    public void trustXclient(boolean trusted) {
        this.xclientTrusted = trusted;
    }

    public void connectedFrom(String ip) {
        this.clientAddress = ip;
    }

    /** The client a message is stored and logged under: XCLIENT's ADDR when one was given, else the connection's. */
    public String clientAddress() {
        return clientAddress;
    }

    public boolean isEsmtp() {
        return esmtp;
    }

    public boolean isTls() {
        return tls;
    }

    public void setTls(boolean tls) {
        this.tls = tls;
    }

    /** Whether each new recipient is checked (validate_process) before it is accepted. */
    public void setValidateRecipients(boolean validate) {
        this.validateRecipients = validate;
    }

    /** The recipient waiting for its validate_process verdict, or null. */
    public MailAddress pendingRecipient() {
        return pendingRecipient;
    }

    public MailAddress mailFrom() {
        return mailFrom;
    }

    public boolean isSmtpUtf8() {
        return smtpUtf8;
    }

    public List<MailAddress> recipients() {
        return Collections.unmodifiableList(recipients);
    }

    /** The WITH protocol name of the Received header (RFC 3848, RFC 6531 section 3.7.3). */
    public String receivedProtocol() {
        boolean extended = xclientProto != null ? xclientProto.equals("ESMTP") : esmtp;
        String base = smtpUtf8 ? "UTF8SMTP" : extended ? "ESMTP" : "SMTP";
        return tls ? base + "S" : base;
    }
}
