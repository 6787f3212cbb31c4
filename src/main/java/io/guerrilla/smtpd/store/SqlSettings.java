package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.config.SqliteSync;
import io.guerrilla.smtpd.config.StoreConfig;

/**
 * What the SQL store needs from the {@code store:} section, fixed when it is built from a validated config.
 *
 * @param path      SQLite only: the database file
 * @param dsn       a full JDBC URL for the network databases; empty: built from host, port and database
 * @param port      0: the database's usual port
 * @param maxBatchBytes message octets one group-commit transaction takes (one larger message goes alone)
 * @param timeout   seconds a transaction (and a read from the database's socket) may take
 */
public record SqlSettings(SqlDialect dialect, String path, SqliteSync synchronous, String dsn, String host, int port,
                          String user, String password, String database, int poolSize, int poolMinIdle,
                          int connectTimeoutMs, int batchSize, long maxBatchBytes, int batchWaitMs, int queueCapacity, int timeout,
                          int validateTimeoutMs) {

    public static SqlSettings from(StoreConfig c) {
        return new SqlSettings(SqlDialect.of(c), c.path, c.synchronous, c.dsn, c.host, c.port, c.user, c.password,
                c.database, c.poolSize, c.poolMinIdle, c.connectTimeoutMs, c.batchSize, c.maxBatchBytes, c.batchWaitMs,
                c.queueCapacity, c.timeout, c.validateTimeoutMs);
    }
}
