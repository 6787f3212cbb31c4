package io.guerrilla.smtpd.config;

/** Default limits, each with the reason it exists. Every one is overridable in the config file. */
public final class Limits {
    private Limits() {
    }

    /** RFC 5321 4.5.3.1.4: a command line is at most 512 octets including CRLF. */
    public static final int MAX_COMMAND_LINE_LENGTH = 512;
    /** RFC 5321 4.5.3.1.6: a text line is at most 1000 octets including CRLF; 0 disables the check. */
    public static final int MAX_DATA_LINE_LENGTH = 1000;
    /** Largest message, as most large receivers (25 MiB); advertised by SIZE (RFC 1870). */
    public static final long MAX_SIZE = 25L * 1024 * 1024;
    /** RFC 5321 4.5.3.1.8: at least 100 recipients must be accepted; more only multiplies rows. */
    public static final int MAX_RECIPIENTS = 100;
    /** Connections open at once; beyond it new ones get 421 at once rather than waiting in accept. */
    public static final int MAX_CLIENTS = 4096;
    /** Malformed or unknown commands before 421 and close (Postfix smtpd_hard_error_limit). */
    public static final int MAX_BAD_COMMANDS = 20;
    /** Seconds a client may stay silent between commands (RFC 5321 4.5.3.2.7 server timeout: 5 min). */
    public static final int TIMEOUT_SECONDS = 300;
    /** Seconds to wait for a message to be committed before answering 451 (the client retries). */
    public static final int STORE_TIMEOUT_SECONDS = 30;
    /** Messages per group-commit transaction: bounds one transaction's size and lock time. */
    public static final int STORE_BATCH_SIZE = 256;
    /** Messages waiting for the store before new ones get 451: bounds memory when the store is slow. */
    public static final int STORE_QUEUE_CAPACITY = 4096;
    /**
     * Octets of one message kept in memory before it moves to a temporary file: most mail (text, HTML,
     * small attachments) never touches the disk, while memory stays bounded by max_clients x 1 MiB
     * however large the messages are.
     */
    public static final long SPILL_THRESHOLD = 1024 * 1024;
}
