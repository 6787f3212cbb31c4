package io.guerrilla.smtpd.smtp;

/** What the I/O layer must do after sending the reply of an {@link Outcome}. */
public enum Action {
    /** Nothing: read the next command. */
    NONE,
    /** Switch the framer to message content until CRLF.CRLF. */
    START_DATA,
    /** Stop reading and hand the transaction to the store; call {@link SessionStateMachine#stored}. */
    STORE,
    /**
     * Flush the 220, discard every byte already read behind STARTTLS (CVE-2011-0411), start the TLS
     * handshake and call {@link SessionStateMachine#resetForTls}.
     */
    START_TLS,
    /**
     * Stop reading and have {@link SessionStateMachine#pendingRecipient()} checked (validate_process);
     * call {@link SessionStateMachine#recipientValidated} with the verdict.
     */
    VALIDATE_RCPT,
    /** Close the connection once the reply is flushed. */
    CLOSE,
    /**
     * Read the next {@link SessionStateMachine#chunkSize()} octets as they are (RFC 3030: no
     * dot-unstuffing, no line limits), into the message when {@link SessionStateMachine#chunkAccepted()},
     * else discarded so the session stays in sync; then call {@link SessionStateMachine#endOfChunk}.
     */
    READ_CHUNK
}
