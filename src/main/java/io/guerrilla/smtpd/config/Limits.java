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
    /**
     * Seconds a client may take for its next command, counted from the last complete one so that a
     * line trickled byte by byte cannot hold the connection (RFC 5321 4.5.3.2.7 server timeout: 5 min).
     */
    public static final int TIMEOUT_SECONDS = 300;
    /** Seconds to wait for a message to be committed before answering 451 (the client retries). */
    public static final int STORE_TIMEOUT_SECONDS = 30;
    /** Messages per group-commit transaction: bounds one transaction's size and lock time. */
    public static final int STORE_BATCH_SIZE = 256;
    /**
     * Message bytes per group-commit transaction: 256 messages of 2 MB (512 MB, written twice by SQLite's
     * WAL) outlast a 30 s store timeout on an ordinary disk; 32 MiB commits in about a second at 50 MB/s.
     */
    public static final long STORE_MAX_BATCH_BYTES = 32L * 1024 * 1024;
    /** Messages waiting for the store before new ones get 451: bounds memory when the store is slow. */
    public static final int STORE_QUEUE_CAPACITY = 4096;
    /**
     * Connections open at once from one client address; 0 = no per-address cap. As Postfix's
     * smtpd_client_connection_count_limit (50): one host cannot take every slot of max_clients.
     */
    public static final int MAX_CONNECTIONS_PER_IP = 50;
    /**
     * New connections per minute from one client address; 0 = off (as Postfix's
     * smtpd_client_connection_rate_limit): a connect flood from one host is refused with 421.
     */
    public static final int CONNECTION_RATE_PER_IP = 0;
    /**
     * Messages on one connection before 421 at the next MAIL. Far above what MTAs send per
     * connection (they reuse one for a few hundred at most), yet stops one client from holding a
     * connection and its per-IP slot for ever with an endless stream of transactions.
     */
    public static final int MAX_MESSAGES_PER_CONNECTION = 1000;
    /**
     * Bytes per second a client must average over each window while sending DATA or BDAT content;
     * 0 = off. 1 KiB/s is below any real link, so only a slowloris that trickles bytes to dodge the
     * idle timeout is cut off (421 4.4.2).
     */
    public static final int MIN_DATA_RATE = 1024;
    /** Seconds of each min_data_rate window; also the grace before the first check. */
    public static final int MIN_DATA_RATE_WINDOW_SECONDS = 30;
    /** Seconds for a TLS handshake; a stalled handshake holds a connection slot and its buffers. */
    public static final int TLS_HANDSHAKE_TIMEOUT_SECONDS = 10;
    /** Seconds to wait for the PROXY header; a real proxy sends it at once, anyone else holds a slot. */
    public static final int PROXY_PROTOCOL_TIMEOUT_SECONDS = 5;
    /** Longest node_name: a DNS name's length (RFC 1035 2.3.4), since the default is the host name. */
    public static final int MAX_NODE_NAME_LENGTH = 253;
    /** Database connections per node: each runs one group-commit writer; more only adds lock contention. */
    public static final int STORE_POOL_SIZE = 4;
    /** Milliseconds to wait for a database connection: while it is down, clients get 451 this fast. */
    public static final int STORE_CONNECT_TIMEOUT_MS = 2000;
    /**
     * Milliseconds to wait for SQLite's one pooled connection. A local file never waits on a network,
     * but its first open loads the native library (seconds on a loaded machine), and the writer and the
     * probe share the one connection; the network connect timeout made start-up fail there.
     */
    public static final int SQLITE_CONNECTION_WAIT_MS = 30_000;
    /** Milliseconds a validate_process check may take before the recipient gets 451 4.3.0 (the sender retries). */
    public static final int VALIDATE_TIMEOUT_MS = 5000;
    /** Seconds Redis/Memcached keep a body: go-guerrilla's redis_expire_seconds default (2 hours). */
    public static final int BODY_TTL_SECONDS = 7200;
    /** Milliseconds a Redis/Memcached write may take before the message fails with 451. */
    public static final int KEY_VALUE_TIMEOUT_MS = 2000;
    /**
     * Milliseconds Redis WAIT (redis.wait_replicas) waits for replicas to acknowledge a body before the
     * message gets 451; below KEY_VALUE_TIMEOUT_MS so the WAIT's own answer comes before the client gives up.
     */
    public static final int REDIS_WAIT_TIMEOUT_MS = 1000;
    /**
     * Milliseconds the start-up and check-config look at Redis's persistence settings may take: the
     * first connection of a cold JVM (Netty, Lettuce set-up) on a busy machine takes seconds, more than
     * a message's timeout_ms, and a timed-out check would only say "not checked".
     */
    public static final int REDIS_CHECK_TIMEOUT_MS = 10_000;
    /**
     * Seconds a stop (SIGTERM) waits for messages being received and stored: the store timeout, as no
     * save waits longer than that, and well inside systemd's default TimeoutStopSec (90 s).
     */
    public static final int SHUTDOWN_TIMEOUT_SECONDS = STORE_TIMEOUT_SECONDS;
    /**
     * Octets of one message kept in memory before it moves to a temporary file: most mail (text, HTML,
     * small attachments) never touches the disk, while memory stays bounded by max_clients x 1 MiB
     * however large the messages are.
     */
    public static final long SPILL_THRESHOLD = 1024 * 1024;
    /**
     * Octets of direct memory all message bodies being received may hold together; 0 = this share of
     * the JVM's direct memory (-XX:MaxDirectMemorySize, by default the maximum heap). Above it a new
     * message gets 451 4.3.1 and receiving connections wait, instead of a buffer allocation failing
     * and the connection being reset without a reply; the other half is left for socket reads,
     * TLS, replies and the allocator's own slack.
     */
    public static final long BODY_MEMORY = 0;
    /** The share of direct memory body_memory: 0 stands for (see {@link #BODY_MEMORY}). */
    public static final double BODY_MEMORY_SHARE = 0.5;
    /**
     * Free space kept on the store's and the spill directory's file systems (Postfix queue_minfree):
     * below it MAIL gets 452 4.3.1, so the disk never fills under a write, where SQLite would fail
     * mid-transaction; with {@link #MIN_FREE_SPACE_PERCENT} whichever is smaller, so a small disk is
     * not refused while nearly empty.
     */
    public static final long MIN_FREE_SPACE = 1024L * 1024 * 1024;
    /** The same reserve as a share of the file system's size; the smaller of the two applies. */
    public static final int MIN_FREE_SPACE_PERCENT = 5;

    /**
     * How long mail is kept: an hour, as Guerrilla Mail keeps an address's mail, whose API this server
     * also speaks; it bounds the store to an hour of traffic and stays below the Redis/Memcached body
     * TTL ({@link #BODY_TTL_SECONDS}), so no row outlives its body. Set 0 to keep mail.
     */
    public static final String RETENTION_MAX_AGE = "1h";
    /**
     * Newest messages kept per mailbox (Inbucket's default cap): one address flooded by a mail loop or a
     * runaway test suite cannot take the whole store, and no person reads more within max_age.
     */
    public static final int RETENTION_MAX_PER_MAILBOX = 500;
    /** How often serve purges: a minute's lag on an hour's retention, and a pass with nothing to do costs a few indexed lookups. */
    public static final String RETENTION_INTERVAL = "1m";
    /**
     * Rows deleted per transaction: short enough (a few milliseconds on SQLite) that the group-commit
     * writer waiting for the same lock meanwhile does not delay a 250 noticeably.
     */
    public static final int RETENTION_BATCH_SIZE = 100;
}
