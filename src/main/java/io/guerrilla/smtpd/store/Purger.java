package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.config.RetentionConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One retention pass over {@code new_mail}: deletes mail older than {@code max_age}, then all but the
 * newest {@code max_per_mailbox} of each mailbox, then all but the newest {@code max_messages}.
 *
 * <p>Pacing, so that receiving never waits long: what to delete is found on a read connection (for
 * SQLite a separate one, which in WAL mode never blocks the writer), by an indexed range (date,
 * {@code to} then mail_id, or mail_id), {@code batch_size} rows at a time; each batch is deleted by
 * primary key in its own short transaction, on a connection of the purger's own for SQLite (never the
 * writer's, see {@link SqlStore#writeConnection}), so the group-commit writer waits for it only at
 * SQLite's write lock, for one batch; after each batch the purger rests at least as
 * long as the batch took, so it never holds that lock more than half the time.
 *
 * <p>SQLite space: deleted pages go to SQLite's free list and are reused; when the file was created
 * with {@code auto_vacuum = INCREMENTAL} (every file this server creates) the pass then returns them to
 * the file system in steps of {@link #VACUUM_PAGES_PER_STEP} pages, paced like the deletes.
 */
public final class Purger {
    private static final Logger log = LoggerFactory.getLogger(Purger.class);
    /** Pages handed back per incremental_vacuum transaction: 4 MiB at SQLite's default page size, a few ms of work. */
    static final int VACUUM_PAGES_PER_STEP = 1000;
    /** Least rest between two batches, so a burst of tiny batches still leaves the writer room. */
    static final Duration MIN_PAUSE = Duration.ofMillis(5);

    /** Why rows were deleted: the metric's label. */
    public enum Reason {
        AGE("age"), MAILBOX("mailbox_cap"), TOTAL("total_cap");

        public final String label;

        Reason(String label) {
            this.label = label;
        }
    }

    /** Told after every committed batch, for metrics. */
    @FunctionalInterface
    public interface Listener {
        void purged(Reason reason, int rows);
    }

    /** What one pass deleted, per rule, and the SQLite pages it returned to the file system. */
    public record Result(long byAge, long byMailboxCap, long byTotalCap, long pagesReleased) {
        public long total() {
            return byAge + byMailboxCap + byTotalCap;
        }
    }

    private final SqlStore store;
    private final SqlDialect dialect;
    private final RetentionConfig policy;
    private final Clock clock;
    private final Listener listener;

    Purger(SqlStore store, RetentionConfig policy, Clock clock, Listener listener) {
        this.store = store;
        this.dialect = store.dialect();
        this.policy = policy;
        this.clock = clock;
        this.listener = listener;
    }

    /** Runs the three rules in order; an interrupt ends the pass early, after the batch in hand. */
    public Result pass() throws StoreException, InterruptedException {
        try {
            long byAge = purgeByAge();
            long byMailbox = purgeByMailboxCap();
            long byTotal = purgeByTotalCap();
            dropReadMarksOfPurgedMail();
            long pages = dialect == SqlDialect.SQLITE ? releaseFreePages() : 0;
            return new Result(byAge, byMailbox, byTotal, pages);
        } catch (SQLException e) {
            throw new StoreException("retention pass failed: " + e.getMessage(), e);
        }
    }

    private long purgeByAge() throws SQLException, StoreException, InterruptedException {
        Duration maxAge = policy.maxAge();
        if (maxAge.isZero()) {
            return 0;
        }
        // Ordered by date: the date index yields the oldest first and the scan stops at the batch size.
        String next = "SELECT mail_id FROM new_mail WHERE date < ? ORDER BY date LIMIT ?";
        return deleteAll(Reason.AGE, next, 2, ps -> dialect.bindDate(ps, 1, SqlDialect.utc(clock.instant().minus(maxAge))));
    }

    private long purgeByMailboxCap() throws SQLException, StoreException, InterruptedException {
        int cap = policy.maxPerMailbox;
        if (cap <= 0) {
            return 0;
        }
        // An index-only scan of the mailbox index, on the read connection.
        List<String> over = new ArrayList<>();
        try (Connection c = store.readConnection();
             PreparedStatement ps = c.prepareStatement("SELECT " + dialect.q("to") + " FROM new_mail GROUP BY "
                     + dialect.q("to") + " HAVING count(*) > ?")) {
            ps.setInt(1, cap);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    over.add(rs.getString(1));
                }
            }
        }
        long deleted = 0;
        for (String mailbox : over) {
            Long oldestKept = nthNewest(" WHERE " + mailboxIs(), mailbox, cap);
            if (oldestKept == null) {
                continue;
            }
            String next = "SELECT mail_id FROM new_mail WHERE " + mailboxIs() + " AND mail_id < ? ORDER BY mail_id LIMIT ?";
            deleted += deleteAll(Reason.MAILBOX, next, 3, ps -> {
                ps.setString(1, mailbox);
                ps.setLong(2, oldestKept);
            });
        }
        return deleted;
    }

    private long purgeByTotalCap() throws SQLException, StoreException, InterruptedException {
        long cap = policy.maxMessages;
        if (cap <= 0) {
            return 0;
        }
        Long oldestKept = nthNewest("", null, cap);
        if (oldestKept == null) {
            return 0;
        }
        String next = "SELECT mail_id FROM new_mail WHERE mail_id < ? ORDER BY mail_id LIMIT ?";
        return deleteAll(Reason.TOTAL, next, 2, ps -> ps.setLong(1, oldestKept));
    }

    /**
     * A mailbox is the {@code to} column, compared as every mailbox read compares it (MailboxQueries):
     * exactly, except that MariaDB's case-insensitive column collation makes {@code Bob@} and {@code bob@} one.
     */
    private String mailboxIs() {
        return dialect.q("to") + " = ?";
    }

    /** The mail_id of the n-th newest row (of the mailbox, when given); null when there are no more than n. */
    private Long nthNewest(String where, String mailbox, long n) throws SQLException, StoreException {
        try (Connection c = store.readConnection();
             PreparedStatement ps = c.prepareStatement("SELECT mail_id FROM new_mail" + where
                     + " ORDER BY mail_id DESC LIMIT 1 OFFSET ?")) {
            int i = 1;
            if (mailbox != null) {
                ps.setString(i++, mailbox);
            }
            ps.setLong(i, n - 1);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    /**
     * Finds the next batch with {@code select} (its parameters bound by {@code binder}, the batch size
     * at {@code limitParameter}) and deletes it, until a batch comes back empty.
     */
    private long deleteAll(Reason reason, String select, int limitParameter, Binder binder) throws SQLException, StoreException, InterruptedException {
        long total = 0;
        while (true) {
            List<Long> ids = new ArrayList<>(policy.batchSize);
            try (Connection c = store.readConnection(); PreparedStatement ps = c.prepareStatement(select)) {
                binder.bind(ps);
                ps.setInt(limitParameter, policy.batchSize);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                    }
                }
            }
            if (ids.isEmpty()) {
                return total;
            }
            long started = System.nanoTime();
            int n;
            try (Connection c = store.writeConnection();
                 PreparedStatement delete = c.prepareStatement("DELETE FROM new_mail WHERE mail_id IN ("
                         + String.join(",", Collections.nCopies(ids.size(), "?")) + ")")) {
                c.setAutoCommit(true);
                for (int i = 0; i < ids.size(); i++) {
                    delete.setLong(i + 1, ids.get(i));
                }
                n = delete.executeUpdate();
            }
            total += n;
            listener.purged(reason, n);
            rest(System.nanoTime() - started);
        }
    }

    /**
     * The Guerrilla Mail API's read marks (gm_mail_read) of messages older than the oldest one kept. mail_ids
     * only grow, so these can never match a message again; those of messages purged above that (a mailbox
     * cap) go once the age rule passes them. A table not there yet (an API never served) is left alone.
     */
    private void dropReadMarksOfPurgedMail() throws SQLException, StoreException {
        long oldestKept;
        try (Connection c = store.readConnection()) {
            try (ResultSet rs = c.getMetaData().getTables(c.getCatalog(), c.getSchema(), "gm_mail_read", null)) {
                if (!rs.next()) {
                    return;
                }
            }
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT min(mail_id) FROM new_mail")) {
                rs.next();
                long min = rs.getLong(1);
                oldestKept = rs.wasNull() ? Long.MAX_VALUE : min;
            }
        }
        try (Connection c = store.writeConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM gm_mail_read WHERE mail_id < ?")) {
            c.setAutoCommit(true);
            ps.setLong(1, oldestKept);
            ps.executeUpdate();
        }
    }

    /** Hands the SQLite free list back to the file system, when the file allows it (auto_vacuum = INCREMENTAL). */
    private long releaseFreePages() throws SQLException, StoreException, InterruptedException {
        if (autoVacuum() != 2) {
            return 0;
        }
        long released = 0;
        while (true) {
            long free = pragma("freelist_count");
            if (free == 0) {
                return released;
            }
            long started = System.nanoTime();
            try (Connection c = store.writeConnection(); Statement st = c.createStatement()) {
                c.setAutoCommit(true);
                st.execute("PRAGMA incremental_vacuum(" + VACUUM_PAGES_PER_STEP + ")");
            }
            long after = pragma("freelist_count");
            if (after >= free) {
                return released;
            }
            released += free - after;
            rest(System.nanoTime() - started);
        }
    }

    /** SQLite's auto_vacuum mode of the file: 0 none, 1 full, 2 incremental. */
    private int autoVacuum() throws SQLException, StoreException {
        return (int) pragma("auto_vacuum");
    }

    /** Whether this is a SQLite file whose free pages cannot be handed back without a VACUUM first. */
    public boolean isSqliteWithoutIncrementalVacuum() throws StoreException {
        try {
            return dialect == SqlDialect.SQLITE && autoVacuum() != 2;
        } catch (SQLException e) {
            throw new StoreException("cannot read auto_vacuum: " + e.getMessage(), e);
        }
    }

    private long pragma(String name) throws SQLException, StoreException {
        try (Connection c = store.readConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("PRAGMA " + name)) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    /**
     * Turns on incremental auto-vacuum in an existing SQLite file and rebuilds it (VACUUM): that holds
     * the write lock, and needs free disk the size of the file, for as long as copying the file takes,
     * so it is for a quiet moment; stores waiting meanwhile answer 451 and their senders retry.
     */
    public void enableIncrementalVacuum() throws StoreException {
        if (dialect != SqlDialect.SQLITE) {
            return;
        }
        try (Connection c = store.writeConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(true);
            st.execute("PRAGMA auto_vacuum = INCREMENTAL");
            st.execute("VACUUM");
            log.info("SQLite file rebuilt with auto_vacuum = INCREMENTAL");
        } catch (SQLException e) {
            throw new StoreException("VACUUM failed: " + e.getMessage(), e);
        }
    }

    private static void rest(long workedNanos) throws InterruptedException {
        Thread.sleep(Math.max(MIN_PAUSE.toMillis(), workedNanos / 1_000_000));
    }
}
