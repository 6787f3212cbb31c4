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
     * Stop reading and have {@link SessionStateMachine#pendingRecipient()} checked (validate_process);
     * call {@link SessionStateMachine#recipientValidated} with the verdict.
     */
    VALIDATE_RCPT,
    /** Close the connection once the reply is flushed. */
    CLOSE
}
