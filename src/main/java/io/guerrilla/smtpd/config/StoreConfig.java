package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.annotation.JsonMerge;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** The {@code store:} section: where messages are committed, how commits are grouped, and the processor pipeline. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public final class StoreConfig {
    /** Store kind: sqlite (embedded default), mysql (also MariaDB; "mariadb" is accepted) or postgres. */
    public StoreType type = StoreType.SQLITE;
    /** SQLite database file. */
    public String path = "./data/guerrilla.db";
    /** SQLite synchronous pragma: FULL (fsync per commit, survives power loss), EXTRA or NORMAL. */
    public SqliteSync synchronous = SqliteSync.FULL;

    /** Full JDBC URL for mysql/postgres; when set, host/port/database are not used. */
    public String dsn = "";
    public String host = "127.0.0.1";
    /** 0: the type's usual port (3306 for mysql, 5432 for postgres). */
    public int port = 0;
    public String user = "guerrilla";
    public String password = "";
    public String database = "guerrilla";
    /** Most connections the pool opens; as many group-commit writers run in parallel. */
    public int poolSize = Limits.STORE_POOL_SIZE;
    /** Connections kept open while idle, so the first message after a quiet spell does not pay a connect. */
    public int poolMinIdle = 1;
    public int connectTimeoutMs = Limits.STORE_CONNECT_TIMEOUT_MS;

    public int batchSize = Limits.STORE_BATCH_SIZE;
    /** Message bytes one transaction takes (a larger single message still goes alone). */
    public long maxBatchBytes = Limits.STORE_MAX_BATCH_BYTES;
    /** Milliseconds a commit may wait for more messages to join it; 0 commits whatever has queued. */
    public int batchWaitMs = 0;
    public int queueCapacity = Limits.STORE_QUEUE_CAPACITY;
    public int timeout = Limits.STORE_TIMEOUT_SECONDS;

    /** Processors each accepted message goes through, in order, go-guerrilla style, e.g. "HeadersParser|Header|Hasher|Compressor|SQL". */
    public String saveProcess = ProcessorName.DEFAULT_SAVE_PROCESS;
    /** Processors asked at RCPT time whether a recipient exists (Debugger, SQL); empty: no check. */
    public String validateProcess = "";
    /** SQL of validate_process: a query with one parameter, the recipient address; a row means it exists. */
    public String validateSql = "";
    public int validateTimeoutMs = Limits.VALIDATE_TIMEOUT_MS;
    /** Compressor's format: "zlib" (RFC 1950, go-guerrilla's) or "gzip" (RFC 1952); the row's body column names it. */
    public Compression compress = Compression.ZLIB;
    /** Merged into the defaults, so {@code redis: {port: 6380}} keeps the default host. */
    @JsonMerge
    public KeyValueConfig redis = new KeyValueConfig("127.0.0.1", 6379);
    @JsonMerge
    public KeyValueConfig memcached = new KeyValueConfig("127.0.0.1", 11211);
    /** Debugger processor: log every message's envelope at INFO (otherwise at DEBUG). */
    public boolean debuggerLogReceivedMails = false;

    /** Where Redis or Memcached keep message bodies, each under its hash. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public static final class KeyValueConfig {
        public String host;
        public int port;
        /** Redis only: AUTH password; empty for none. */
        public String password = "";
        /** Redis only: database index. */
        public int database = 0;
        /** Seconds a body is kept (go-guerrilla's redis_expire_seconds); 0 keeps it until evicted. */
        public int ttl = Limits.BODY_TTL_SECONDS;
        public int timeoutMs = Limits.KEY_VALUE_TIMEOUT_MS;
        /**
         * Redis only: replicas that must acknowledge each body (Redis WAIT) before the message may get
         * 250; fewer within wait_timeout_ms answers 451. 0: no WAIT, the primary's own persistence counts.
         */
        public int waitReplicas = 0;
        /** Redis only: milliseconds WAIT may take; less than timeout_ms. */
        public int waitTimeoutMs = Limits.REDIS_WAIT_TIMEOUT_MS;

        public KeyValueConfig() {
        }

        KeyValueConfig(String host, int port) {
            this.host = host;
            this.port = port;
        }

        void validate(String prefix, List<String> errors) {
            if (host == null || host.isBlank()) {
                errors.add(prefix + "host: missing");
            }
            if (port < 1 || port > 65535) {
                errors.add(prefix + "port: must be 1..65535");
            }
            if (ttl < 0) {
                errors.add(prefix + "ttl: must not be negative");
            }
            ListenerConfig.positive(errors, prefix + "timeout_ms", timeoutMs);
            if (waitReplicas < 0) {
                errors.add(prefix + "wait_replicas: must not be negative");
            }
            ListenerConfig.positive(errors, prefix + "wait_timeout_ms", waitTimeoutMs);
            if (waitReplicas > 0 && waitTimeoutMs >= timeoutMs) {
                errors.add(prefix + "wait_timeout_ms: must be less than timeout_ms, or the command times out before WAIT answers");
            }
        }
    }

    /** Adds each problem as "prefix + key: what is wrong". */
    void validate(String prefix, List<String> errors) {
        if (type == null) {
            errors.add(prefix + "type: missing");
        }
        if (type == StoreType.SQLITE && (path == null || path.isBlank())) {
            errors.add(prefix + "path: must name the SQLite database file");
        }
        if (synchronous == null) {
            errors.add(prefix + "synchronous: missing");
        }
        if (type != StoreType.SQLITE) {
            if ((dsn == null || dsn.isBlank()) && (host == null || host.isBlank() || database == null || database.isBlank())) {
                errors.add(prefix + "dsn: give a JDBC URL, or host and database");
            }
            if (port < 0 || port > 65535) {
                errors.add(prefix + "port: must be 0..65535");
            }
        }
        ListenerConfig.positive(errors, prefix + "pool_size", poolSize);
        if (poolMinIdle < 0 || poolMinIdle > poolSize) {
            errors.add(prefix + "pool_min_idle: must be 0..pool_size");
        }
        if (connectTimeoutMs < 250) {
            errors.add(prefix + "connect_timeout_ms: must be at least 250 (HikariCP's minimum)");
        }
        ListenerConfig.positive(errors, prefix + "batch_size", batchSize);
        ListenerConfig.positive(errors, prefix + "max_batch_bytes", maxBatchBytes);
        if (batchWaitMs < 0) {
            errors.add(prefix + "batch_wait_ms: must not be negative");
        }
        ListenerConfig.positive(errors, prefix + "queue_capacity", queueCapacity);
        ListenerConfig.positive(errors, prefix + "timeout", timeout);
        if (compress == null) {
            errors.add(prefix + "compress: missing");
        }
        ListenerConfig.positive(errors, prefix + "validate_timeout_ms", validateTimeoutMs);
        ProcessorName.checkValidateProcess(validateProcess, validateSql != null && !validateSql.isBlank())
                .forEach(e -> errors.add(prefix + "validate_process: " + e));
        ProcessorName.checkSaveProcess(saveProcess).forEach(e -> errors.add(prefix + "save_process: " + e));
        if (redis == null) {
            errors.add(prefix + "redis: empty section");
        } else {
            redis.validate(prefix + "redis.", errors);
        }
        if (memcached == null) {
            errors.add(prefix + "memcached: empty section");
        } else {
            memcached.validate(prefix + "memcached.", errors);
            if (memcached.waitReplicas != 0) {
                errors.add(prefix + "memcached.wait_replicas: Redis only (Memcached has no replication)");
            }
            // Memcached reads an expiry beyond 30 days as a Unix time, which would expire the body at once.
            if (memcached.ttl > 30 * 24 * 3600) {
                errors.add(prefix + "memcached.ttl: at most 2592000 (30 days)");
            }
        }
    }
}
