package io.guerrilla.smtpd.metrics;

/**
 * What the server reports about its work. The SMTP handler (TLS handshakes included) and the stores
 * call these; the admin listener reads them. Implementations must be cheap and thread-safe:
 * they are called on the event loop for every connection and message.
 */
public interface ServerMetrics {

    /** A connection passed the connection limit and got a greeting. */
    void connectionOpened();

    /** A connection that {@link #connectionOpened} ended. */
    void connectionClosed();

    /**
     * A connection was refused before its session started.
     *
     * @param reason a short stable label, e.g. {@code max_clients}, {@code shutting_down}
     */
    void connectionRejected(String reason);

    /** A message's final reply: 250 when stored, else the rejection's code (451, 550, 552, ...). */
    void messageReplied(int replyCode);

    /**
     * A RCPT command was refused (relay denied, unknown recipient, too many, a syntax error, ...).
     * A default so other implementations need not count it.
     *
     * @param code     the reply code
     * @param enhanced the enhanced status code (RFC 3463), e.g. {@code 5.7.1}
     */
    default void recipientRefused(int code, String enhanced) {
    }

    /** Octets of message content received (after dot-unstuffing), counted once per message. */
    void bytesReceived(long octets);

    /** How long the store took to commit (or fail) one message, as its client waited for it. */
    void storeLatency(long nanos);

    /** One group commit wrote this many messages in one transaction. */
    void batchCommitted(int messages);

    /**
     * A TLS handshake finished, for the TLS handler to call.
     *
     * @param outcome a short stable label, e.g. {@code ok} or {@code failed}
     */
    void tlsHandshake(String outcome);

    /**
     * Retention deleted stored messages (rows).
     *
     * @param reason a short stable label: {@code age}, {@code mailbox_cap} or {@code total_cap}
     */
    void messagesPurged(String reason, long rows);

    /**
     * A client was admitted (its session began), for the dashboard's recent top lists; like the
     * two below, a default no-op so a metrics sink without those lists need not implement it.
     */
    default void clientConnected(String address) {
    }

    /** A HELO or EHLO was answered 250 with this name (as the client wrote it). */
    default void heloAccepted(String name) {
    }

    /** A message went to the store with a recipient at this domain (lower case). */
    default void recipientDomainStored(String domain) {
    }

    /** For servers run without metrics (tests, embedding). */
    ServerMetrics NONE = new ServerMetrics() {
        @Override
        public void connectionOpened() {
        }

        @Override
        public void connectionClosed() {
        }

        @Override
        public void connectionRejected(String reason) {
        }

        @Override
        public void messageReplied(int replyCode) {
        }

        @Override
        public void bytesReceived(long octets) {
        }

        @Override
        public void storeLatency(long nanos) {
        }

        @Override
        public void batchCommitted(int messages) {
        }

        @Override
        public void tlsHandshake(String outcome) {
        }

        @Override
        public void messagesPurged(String reason, long rows) {
        }
    };
}
