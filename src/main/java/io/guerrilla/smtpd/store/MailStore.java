package io.guerrilla.smtpd.store;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the rows of accepted messages go. The contract that "250 means stored" rests on: the future
 * returned by {@link #save} completes normally only once every row of the message is durably
 * committed, and exceptionally if any is not (then none is). Implementations never block the caller.
 */
public interface MailStore extends AutoCloseable {

    /**
     * Connects and checks the schema, failing with a message that lists what is missing. A database
     * that cannot be reached is not a failure: the store starts, fails saves until it is reachable,
     * and checks the schema then.
     */
    void open() throws StoreException;

    /** Creates the tables where missing ({@code guerrillad init-db}); idempotent. */
    void createSchema() throws StoreException;

    /**
     * Commits the rows of one message in one transaction, unless {@code claim} was abandoned before the
     * store took the message into a transaction: then nothing is written and the future fails.
     */
    CompletableFuture<Void> save(List<MailRow> rows, SaveClaim claim);

    /**
     * Runs a query with one string parameter and says whether it returned a row (validate_sql).
     * Blocks on the database: call it off the event loop.
     */
    boolean exists(String query, String parameter) throws StoreException;

    /** Cheap (no I/O): whether the last write or reconnect attempt succeeded; for readiness checks. */
    boolean isHealthy();

    /** Asks the database now whether it takes queries (readiness); blocks, so call it off the event loop. */
    boolean ping();

    /** Counters for metrics; cheap (no I/O). */
    StoreStats stats();

    /** Finishes what was submitted, then disconnects. */
    @Override
    void close();
}
