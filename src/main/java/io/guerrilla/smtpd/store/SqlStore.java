package io.guerrilla.smtpd.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.guerrilla.smtpd.config.Limits;
import io.guerrilla.smtpd.config.RetentionConfig;
import io.guerrilla.smtpd.config.StoreConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The {@code new_mail} store on SQLite, MySQL/MariaDB or PostgreSQL: a HikariCP pool and one group-commit
 * writer per pooled connection, each committing whatever queued while its previous commit ran.
 *
 * <p>Availability: a network database may be down when the server starts or at any time after. The
 * server then keeps running, every message fails fast with 451 (the client retries later), and a
 * probe reconnects every {@link #PROBE_INTERVAL_MS} ms; the schema is checked on the first connection
 * that succeeds. Nothing is acknowledged that was not committed, so nothing acknowledged is lost.
 */
public final class SqlStore implements MailStore {
    private static final Logger log = LoggerFactory.getLogger(SqlStore.class);
    /** How soon writes resume after the database returns; a probe every second costs nothing. */
    static final long PROBE_INTERVAL_MS = 1000;

    private final SqlSettings settings;
    private final SqlDialect dialect;
    private final List<GroupCommitter<List<MailRow>>> writers = new ArrayList<>();
    private final AtomicInteger nextWriter = new AtomicInteger();
    private HikariDataSource pool;
    private ScheduledExecutorService probe;
    private volatile boolean healthy;
    /**
     * WAL pages before SQLite checkpoints. Its default of 1,000 checkpoints (and fsyncs the database
     * file) every ~900 messages of 4 KiB; 10,000 does it ten times less often for a WAL of at most
     * ~40 MiB, and measured 13% more messages/s (bench/RESULTS.md).
     */
    static final int SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000;
    /** How long a SQLite connection waits for another's write lock (a `purge` run from cron, a reader) before failing. */
    static final int SQLITE_BUSY_TIMEOUT_MS = 5000;
    /** A readiness probe must answer well within a load balancer's probe timeout (typically 5 s). */
    static final int PING_QUERY_TIMEOUT_SECONDS = 2;
    /**
     * Rows whose {@code mail} is larger are written one at a time from a stream instead of batched as
     * arrays: a batch of twenty 50 MiB messages would otherwise hold 1 GiB of heap at once.
     */
    static final long STREAM_ABOVE_BYTES = 1024 * 1024;
    /** What SQLite streaming holds on the heap per large row; big enough that parts are few. */
    static final int PART_BYTES = 1024 * 1024;
    /** Room in a MariaDB packet for the statement and the other columns next to {@code mail}. */
    static final long PACKET_HEADROOM_BYTES = 64 * 1024;
    /**
     * MariaDB's max_allowed_packet, read whenever the schema is checked: a larger statement makes the
     * server drop the connection, which would fail the messages after it too, so such a row is
     * refused before it is sent. Unbounded for the other databases.
     */
    private volatile long maxPacketBytes = Long.MAX_VALUE;
    private final IntConsumer batchCommitted;
    private volatile String lastProblem = "";
    /** SQLite only: the file the writer's connection opened, checked after every commit. */
    private final SqliteFile databaseFile;

    public SqlStore(StoreConfig config) {
        this(SqlSettings.from(config), n -> { });
    }

    /** @param batchCommitted told the size of every group commit (for metrics) */
    public SqlStore(SqlSettings settings, IntConsumer batchCommitted) {
        this.batchCommitted = batchCommitted;
        this.settings = settings;
        this.dialect = settings.dialect();
        this.databaseFile = dialect.databaseFile(settings);
    }

    public SqlDialect dialect() {
        return dialect;
    }

    @Override
    public void open() throws StoreException {
        startPool();
        StoreException createFailed = null;
        if (dialect.createsSchemaOnOpen()) {
            try {
                createSchema();
            } catch (StoreException e) {
                // An older file whose tables lack columns: the check below says which.
                createFailed = e;
            }
        }
        try (Connection c = pool.getConnection()) {
            try {
                checkSchema(c);
            } catch (StoreException incomplete) {
                // What is missing, and why creating it failed: the second is the cause to fix.
                throw createFailed == null ? incomplete
                        : new StoreException(incomplete.getMessage() + "; creating it failed: " + createFailed.getMessage(), createFailed);
            }
            if (createFailed != null) {
                throw createFailed;
            }
            healthy = true;
        } catch (SQLException e) {
            if (!unavailable(e)) {
                throw new StoreException("cannot use " + describe() + ": " + SqlDialect.redact(e.getMessage()), e);
            }
            lastProblem = SqlDialect.redact(e.getMessage());
            log.warn("{} unreachable ({}): starting anyway; messages get 451 4.3.0 until it is reachable,"
                    + " and the schema is checked then", describe(), SqlDialect.redact(e.getMessage()));
        }
        int count = dialect.writers(settings);
        for (int i = 0; i < count; i++) {
            writers.add(new GroupCommitter<>(dialect.name().toLowerCase(Locale.ROOT) + "-writer-" + i, this::write,
                    settings.batchSize(), settings.maxBatchBytes(), SqlStore::bytes, settings.batchWaitMs(),
                    settings.queueCapacity(), batchCommitted));
        }
        probe = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "store-probe");
            t.setDaemon(true);
            return t;
        });
        probe.scheduleWithFixedDelay(this::probeIfDown, PROBE_INTERVAL_MS, PROBE_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    private void startPool() throws StoreException {
        if (pool != null) {
            return;
        }
        HikariConfig h = new HikariConfig();
        h.setPoolName("store");
        h.setJdbcUrl(dialect.jdbcUrl(settings));
        dialect.configurePool(h, settings);
        h.setConnectionTimeout(dialect == SqlDialect.SQLITE
                ? Math.max(settings.connectTimeoutMs(), Limits.SQLITE_CONNECTION_WAIT_MS) : settings.connectTimeoutMs());
        h.setValidationTimeout(Math.max(250, settings.connectTimeoutMs() / 2));
        // Start without a database: the server answers 451 until it is there (see class comment).
        h.setInitializationFailTimeout(-1);
        try {
            pool = new HikariDataSource(h);
        } catch (RuntimeException e) {
            throw new StoreException("cannot set up the connection pool for " + describe() + ": " + SqlDialect.redact(e.getMessage()), e);
        }
    }

    /**
     * Creates the tables (and the received_emails counter row) where missing, and adds go-guerrilla's
     * columns to a table made by the PHP original's DDL; {@code init-db}.
     */
    @Override
    public void createSchema() throws StoreException {
        startPool();
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
            for (String ddl : dialect.ddl()) {
                st.execute(ddl);
            }
            for (String ddl : SqlDialect.API_TABLES) {
                st.execute(ddl);
            }
            Set<String> present = columns(c, "new_mail");
            for (String added : dialect.additions().keySet()) {
                if (!present.contains(added)) {
                    st.execute(dialect.addColumn(added));
                }
            }
            // A table lacking the seed's own columns is not repaired here; checkSchema names what it lacks.
            Set<String> indexes = present.containsAll(List.of("to", "mail_id")) ? indexes(c) : dialect.readIndexes().keySet();
            for (Map.Entry<String, String> index : dialect.readIndexes().entrySet()) {
                if (!indexes.contains(index.getKey())) {
                    if (hasRows(st)) {
                        log.info("creating index {} in {} (once; a large table takes a while)", index.getKey(), describe());
                    }
                    st.execute(index.getValue());
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot create the schema in " + describe() + ": " + SqlDialect.redact(e.getMessage()), e);
        }
    }

    /** Throws a StoreException that lists every missing table, column and row, and how to create them. */
    void checkSchema(Connection c) throws SQLException, StoreException {
        maxPacketBytes = dialect.maxPacketBytes(c);
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, List<String>> table : SqlDialect.REQUIRED_COLUMNS.entrySet()) {
            Set<String> present;
            try {
                present = columns(c, table.getKey());
            } catch (SQLException e) {
                if (unavailable(e)) {
                    throw e;
                }
                missing.add("table " + table.getKey());
                continue;
            }
            for (String column : table.getValue()) {
                if (!present.contains(column)) {
                    missing.add("column " + table.getKey() + "." + column);
                }
            }
        }
        if (!missing.contains("table gm2_setting")) {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT 1 FROM gm2_setting WHERE setting_name = 'received_emails'")) {
                if (!rs.next()) {
                    missing.add("row gm2_setting 'received_emails'");
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new StoreException("schema of " + describe() + " is incomplete, missing: " + String.join(", ", missing)
                    + "; run 'guerrillad init-db -c FILE' (it creates only what is missing)");
        }
        Set<String> indexes = indexes(c);
        for (String index : dialect.readIndexes().keySet()) {
            if (!indexes.contains(index)) {
                log.warn("{} lacks index {}: reading a mailbox and retention scan the whole table;"
                        + " run 'guerrillad init-db -c FILE' to add it", describe(), index);
            }
        }
    }

    private static boolean hasRows(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT 1 FROM new_mail WHERE mail_id > 0 ORDER BY mail_id LIMIT 1")) {
            return rs.next();
        }
    }

    /**
     * A new SQLite file is made with incremental auto-vacuum, so retention can hand freed pages back to
     * the file system. SQLite takes that setting only before the file is first written, so before
     * the pool's connections switch it to WAL; an existing file needs a VACUUM (purge --vacuum).
     */
    static void createSqliteFile(String jdbcUrl) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement st = c.createStatement()) {
            st.execute("PRAGMA auto_vacuum = INCREMENTAL");
            st.execute("PRAGMA journal_mode = WAL");
        }
    }

    /** Names of new_mail's indexes, lower-cased. */
    static Set<String> indexes(Connection c) throws SQLException {
        Set<String> names = new HashSet<>();
        try (ResultSet rs = c.getMetaData().getIndexInfo(c.getCatalog(), c.getSchema(), "new_mail", false, true)) {
            while (rs.next()) {
                String name = rs.getString("INDEX_NAME");
                if (name != null) {
                    names.add(name.toLowerCase(Locale.ROOT));
                }
            }
        }
        return names;
    }

    /** The table's column names, lower-cased; throws when the table is missing. */
    private static Set<String> columns(Connection c, String table) throws SQLException {
        Set<String> present = new HashSet<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
            ResultSetMetaData md = rs.getMetaData();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                present.add(md.getColumnName(i).toLowerCase(Locale.ROOT));
            }
        }
        return present;
    }

    @Override
    public CompletableFuture<Void> save(List<MailRow> rows, SaveClaim claim) {
        return writers.get(Math.floorMod(nextWriter.getAndIncrement(), writers.size())).submit(rows, claim);
    }

    private static long bytes(List<MailRow> rows) {
        long n = 0;
        for (MailRow r : rows) {
            n += r.mail().length();
        }
        return n;
    }

    @Override
    public boolean exists(String query, String parameter) throws StoreException {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(query)) {
            ps.setQueryTimeout((int) Math.max(1, TimeUnit.MILLISECONDS.toSeconds(settings.validateTimeoutMs())));
            ps.setString(1, parameter);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw unavailable(e) ? new StoreUnavailableException(describe() + " unavailable: " + SqlDialect.redact(e.getMessage()), e)
                    : new StoreException("validate_sql failed: " + e.getMessage(), e);
        }
    }

    @Override
    public StoreStats stats() {
        long committed = 0;
        long failed = 0;
        long batches = 0;
        int queued = 0;
        for (GroupCommitter<List<MailRow>> w : writers) {
            StoreStats s = w.stats();
            committed += s.committed();
            failed += s.failed();
            batches += s.batches();
            queued += s.queued();
        }
        return new StoreStats(committed, failed, batches, queued);
    }

    @Override
    public boolean isHealthy() {
        return healthy;
    }

    /**
     * Readiness asks the database now rather than trusting the last write: a connection of its own
     * ({@link SqlDialect#pingConnection}) and a query on the
     * schema. Blocks for at most the connect timeout plus {@link #PING_QUERY_TIMEOUT_SECONDS}.
     */
    @Override
    public boolean ping() {
        if (!healthy || pool == null) {
            return false;
        }
        try (Connection c = dialect.pingConnection(settings, pool)) {
            if (c == null) {
                return false;
            }
            try (Statement st = c.createStatement()) {
                st.setQueryTimeout(PING_QUERY_TIMEOUT_SECONDS);
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM gm2_setting")) {
                    return rs.next();
                }
            }
        } catch (SQLException e) {
            return false;
        }
    }

    private void probeIfDown() {
        if (healthy) {
            return;
        }
        try (Connection c = pool.getConnection()) {
            checkSchema(c);
            probeWrite(c);
            healthy = true;
            lastProblem = "";
            log.info("{} reachable, schema complete: storing again", describe());
        } catch (Exception e) {
            // Whatever went wrong, the probe must keep running: an exception would cancel its schedule.
            if (!String.valueOf(e.getMessage()).equals(lastProblem)) {
                lastProblem = String.valueOf(e.getMessage());
                if (e instanceof StoreException) {
                    log.error("{}", e.getMessage());
                } else {
                    log.warn("{} still unreachable: {}", describe(), SqlDialect.redact(e.getMessage()));
                }
            }
        }
    }

    /**
     * Commits a write that changes nothing, so the store counts as back only when a write commits
     * again (a full disk still answers reads); on SQLite also on a file that is the one at the path.
     */
    private void probeWrite(Connection c) throws SQLException, StoreException {
        inTransaction(c, 0, () -> {
            try (PreparedStatement count = c.prepareStatement(dialect.countReceived())) {
                count.setInt(1, 0);
                count.executeUpdate();
            }
        });
    }

    /** Statements of one transaction. */
    @FunctionalInterface
    private interface Work {
        void run() throws SQLException, StoreException, IOException;
    }

    /**
     * Runs {@code work} in one transaction on {@code c} and commits it. On SQLite the commit counts only
     * if the path still names the file {@code c} opened. Any failure discards the connection.
     *
     * @param messages how many messages the transaction holds, for the log
     */
    private void inTransaction(Connection c, int messages, Work work) throws SQLException, StoreException {
        try {
            Object opened = databaseFile != null ? databaseFile.openedBy(c) : null;
            c.setAutoCommit(false);
            work.run();
            commit(c, messages);
            if (opened != null) {
                databaseFile.check(opened);
            }
        } catch (SQLException | StoreException | RuntimeException e) {
            discard(c, e);
            throw e;
        } catch (IOException e) {
            discard(c, e);
            throw new StoreException("cannot read a received message back: " + e.getMessage(), e);
        }
    }

    /**
     * A network database's COMMIT that fails other than by a rollback the database reports (its
     * connection breaks, it times out) leaves the outcome unknown: the server may have committed before the break, or (frozen) commit when it
     * resumes. Its messages are answered 451 like every failure, as every MTA must, and may then be
     * stored too; the one case where a refused message can be, logged so an operator can find it.
     * A failure before COMMIT was sent, or any SQLite failure, is certain: nothing was committed.
     */
    private void commit(Connection c, int messages) throws SQLException {
        try {
            c.commit();
        } catch (SQLException e) {
            if (dialect != SqlDialect.SQLITE && !rolledBack(e)) {
                log.warn("commit outcome unknown for {} messages: COMMIT on {} failed without a rollback ({});"
                        + " they get 451 4.3.0 and may be stored as well", messages, describe(), SqlDialect.redact(e.getMessage()));
            }
            throw e;
        }
    }

    private void write(List<List<MailRow>> messages) throws SQLException, StoreException {
        if (!healthy) {
            throw new StoreUnavailableException(describe() + " unavailable: " + lastProblem);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.timeout());
        try (Connection c = pool.getConnection()) {
            inTransaction(c, messages.size(), () -> insert(c, messages, deadline));
        } catch (StoreUnavailableException e) {
            healthy = false;
            lastProblem = e.getMessage();
            throw e;
        } catch (SQLException e) {
            if (unavailable(e) || storeFailed(e)) {
                healthy = false;
                lastProblem = SqlDialect.redact(e.getMessage());
                throw new StoreUnavailableException(describe() + " unavailable: " + SqlDialect.redact(e.getMessage()), e);
            }
            if (timedOut(e)) {
                // Rolled back; retrying its messages one by one would each wait as long again.
                throw new StoreUnavailableException(describe() + " did not finish a transaction within store.timeout: "
                        + SqlDialect.redact(e.getMessage()), e);
            }
            throw e;
        }
    }

    /** A statement cancelled by its query timeout: JDBC's own class, MariaDB's 70100, PostgreSQL's 57014. */
    static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTimeoutException
                    || t instanceof SQLException s && ("70100".equals(s.getSQLState()) || "57014".equals(s.getSQLState()))) {
                return true;
            }
        }
        return false;
    }

    private void insert(Connection c, List<List<MailRow>> messages, long deadline) throws SQLException, StoreException, IOException {
        try (PreparedStatement insert = c.prepareStatement(dialect.insert(SqlDialect.PARAMETER));
             PreparedStatement count = c.prepareStatement(dialect.countReceived())) {
            List<MailRow> large = new ArrayList<>();
            boolean batched = false;
            for (List<MailRow> rows : messages) {
                for (MailRow row : rows) {
                    if (row.mail().length() > maxMailBytes()) {
                        throw new StoreException("a message of " + row.mail().length() + " octets does not fit "
                                + "MariaDB's max_allowed_packet of " + maxPacketBytes + "; raise it above max_size");
                    }
                    if (row.mail().length() > STREAM_ABOVE_BYTES) {
                        large.add(row);
                        continue;
                    }
                    MailColumn.bindAll(dialect, insert, row);
                    insert.setBytes(MailColumn.MAIL_PARAMETER, row.mail().readAllBytes());
                    insert.addBatch();
                    batched = true;
                }
            }
            if (batched) {
                dialect.boundQueryTime(insert, deadline);
                insert.executeBatch();
            }
            for (MailRow row : large) {
                dialect.boundQueryTime(insert, deadline);
                dialect.insertLarge(c, insert, row);
            }
            count.setInt(1, messages.size());
            dialect.boundQueryTime(count, deadline);
            count.executeUpdate();
        }
    }

    /** A retention pass over this store's database; see {@link Purger}. */
    public Purger purger(RetentionConfig policy, Clock clock, Purger.Listener listener) {
        return new Purger(this, policy, clock, listener);
    }

    /**
     * A connection for retention's deletes. For SQLite a separate one, never the pool's single writer
     * connection: a commit that crosses the WAL auto-checkpoint threshold runs the (passive) checkpoint
     * on the committing connection, seconds on a busy disk, and the group-commit writer waiting for the
     * pool meanwhile timed out and answered 451 (bench/purge-bench.py showed it). On a connection of its
     * own that checkpoint blocks nobody, and the purge's short transactions meet the writer only at
     * SQLite's write lock, for milliseconds.
     */
    Connection writeConnection() throws SQLException, StoreException {
        startPool();
        if (dialect != SqlDialect.SQLITE) {
            return pool.getConnection();
        }
        Connection c = sqliteConnection();
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA synchronous = " + settings.synchronous());
            st.execute("PRAGMA wal_autocheckpoint = " + SQLITE_WAL_AUTOCHECKPOINT_PAGES);
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * A connection for retention's scans. For SQLite a separate one, which in WAL mode reads beside
     * the writer without blocking it; the network databases' pool has room for it.
     */
    Connection readConnection() throws SQLException, StoreException {
        startPool();
        return dialect == SqlDialect.SQLITE ? sqliteConnection() : pool.getConnection();
    }

    /** A connection of its own to the SQLite file, waiting for another's write lock as the pool's do. */
    private Connection sqliteConnection() throws SQLException {
        Connection c = DriverManager.getConnection(dialect.jdbcUrl(settings));
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout = " + SQLITE_BUSY_TIMEOUT_MS);
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** The largest {@code mail} value this database takes in one statement, as far as it is known. */
    public long maxMailBytes() {
        return maxPacketBytes == Long.MAX_VALUE ? Long.MAX_VALUE : maxPacketBytes - PACKET_HEADROOM_BYTES;
    }

    /**
     * After a failed batch the connection's transaction state is not known for certain: SQLite rolls
     * a transaction back by itself after SQLITE_FULL or an I/O error, which leaves sqlite-jdbc believing
     * a transaction is open while every later statement commits on its own (and every commit then fails:
     * "cannot commit - no transaction is active"), and a network database may have dropped the session.
     * So the connection is rolled back (which ends the server's side of the transaction where it is
     * still open) and then evicted from the pool: the next batch starts on a fresh connection whose
     * state is known.
     */
    private void discard(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException rollbackFailure) {
            cause.addSuppressed(rollbackFailure);
        }
        pool.evictConnection(c);
    }

    /**
     * Whether the failure is the database being out of reach rather than this statement being wrong:
     * SQLSTATE class 08 (connection exception), PostgreSQL's 57P (server shutting down), or the pool's
     * connection timeout.
     */
    /**
     * The database said it rolled the transaction back (SQLSTATE class 40: deadlock, serialization
     * failure): nothing was committed. Any other failure of a COMMIT (a broken connection, a timeout,
     * an interrupted statement) leaves the outcome unknown.
     */
    static boolean rolledBack(SQLException e) {
        return e instanceof java.sql.SQLTransactionRollbackException
                || (e.getSQLState() != null && e.getSQLState().startsWith("40"));
    }

    static boolean unavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
                    || t instanceof SQLRecoverableException) {
                return true;
            }
            if (t instanceof SQLException s && s.getSQLState() != null
                    && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("57P"))) {
                return true;
            }
        }
        return false;
    }

    /** Directories the store creates: owner and group (the service's) only, whatever the umask. */
    static final String PRIVATE_DIRECTORY = "rwxr-x---";
    /** The database file: SQLite gives its -wal and -shm files the same mode. Mail is private. */
    static final String PRIVATE_FILE = "rw-r-----";

    /**
     * Creates the database's missing directories 0750 and the file 0640 (set after creation, so the
     * umask cannot widen them) before SQLite opens it; warns when an existing file is readable by others.
     */
    static void createPrivately(Path db) throws IOException {
        Path parent = db.getParent();
        List<Path> missing = new ArrayList<>();
        for (Path p = parent; p != null && !Files.exists(p); p = p.getParent()) {
            missing.add(0, p);
        }
        for (Path dir : missing) {
            Files.createDirectory(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(PRIVATE_DIRECTORY));
        }
        if (!Files.exists(db)) {
            Files.createFile(db);
            Files.setPosixFilePermissions(db, PosixFilePermissions.fromString(PRIVATE_FILE));
        } else if (Files.getPosixFilePermissions(db).contains(PosixFilePermission.OTHERS_READ)) {
            log.warn("SQLite database {} is readable by every local user (mode {}): chmod o-r it, and its -wal/-shm"
                    + " files, to keep stored mail private", db, PosixFilePermissions.toString(Files.getPosixFilePermissions(db)));
        }
    }

    /**
     * Whether an SQLite failure is the database file or its file system failing (full, I/O error,
     * unopenable, read-only, corrupt) rather than one message: every later message would fail the same
     * way, so the store is unhealthy (not ready) until the probe has committed a write again.
     */
    static boolean storeFailed(SQLException e) {
        if (e instanceof SQLiteException s) {
            int primary = s.getResultCode().code & 0xff;
            return primary == SQLiteErrorCode.SQLITE_FULL.code || primary == SQLiteErrorCode.SQLITE_IOERR.code
                    || primary == SQLiteErrorCode.SQLITE_CANTOPEN.code || primary == SQLiteErrorCode.SQLITE_READONLY.code
                    || primary == SQLiteErrorCode.SQLITE_CORRUPT.code || primary == SQLiteErrorCode.SQLITE_NOTADB.code;
        }
        return false;
    }

    private String describe() {
        return dialect.describe(settings);
    }

    /** Where mail is stored, for the start-up line: the SQLite file or user@host:port/database, never a password. */
    public String location() {
        return dialect.location(settings);
    }

    @Override
    public void close() {
        writers.forEach(GroupCommitter::close);
        if (probe != null) {
            probe.shutdownNow();
        }
        if (pool != null) {
            pool.close();
        }
    }
}
