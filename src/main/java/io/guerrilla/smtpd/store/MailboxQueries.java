package io.guerrilla.smtpd.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.guerrilla.smtpd.config.StoreConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteLimits;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The queries that read mail back, per mailbox (the {@code to} column, see
 * {@link io.guerrilla.smtpd.smtp.MailAddress#mailboxKey()}), for every API that serves mail. Each runs
 * on connections of its own, never the writer's: on SQLite a small pool of read-only connections that
 * WAL lets read beside the writer (plus one connection for deletes), elsewhere a small pool. Every
 * value a request supplies is a bound parameter; paging is by {@code mail_id} cursor, newest first.
 */
public final class MailboxQueries implements AutoCloseable {
    /** Seconds a reader waits on a locked SQLite file (a checkpoint, a delete) before failing. */
    static final int SQLITE_BUSY_TIMEOUT_MS = 5000;
    /** sqlite-jdbc's open_mode flag for SQLITE_OPEN_READONLY. */
    private static final String SQLITE_OPEN_READONLY = "1";
    private static final DateTimeFormatter SQL_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    /** LIKE's escape character: not a backslash, which MySQL strings treat as an escape themselves. */
    private static final char LIKE_ESCAPE = '!';

    /** One message as a list shows it. {@code date} is the receive time (UTC). */
    public record Summary(long id, Instant date, String from, String to, String subject, boolean hasAttachment) {
    }

    /**
     * One message with what the envelope said and where its bytes are.
     *
     * @param body   where the bytes live, as the {@code body} column says: raw, zlib, gzip, redis, memcached
     * @param stored the {@code mail} column as stored (compressed, or empty when in Redis/Memcached)
     */
    public record Stored(Summary summary, String returnPath, String recipient, String clientIp, boolean tls,
                         String body, String hash, byte[] stored) {
    }

    /** Narrows a list: each criterion that is not null must hold. {@code from}/{@code subject} match as substrings, case-insensitively. */
    public record Filter(String from, String subject, Instant since, Instant until) {
        public static final Filter NONE = new Filter(null, null, null, null);
    }

    private final SqlDialect dialect;
    private final HikariDataSource reads;
    private final HikariDataSource writes;

    private MailboxQueries(SqlDialect dialect, HikariDataSource reads, HikariDataSource writes) {
        this.dialect = dialect;
        this.reads = reads;
        this.writes = writes;
    }

    /** Sets up the pools; connects lazily, so a database that is down now fails queries, not the start. */
    public static MailboxQueries open(StoreConfig c, int poolSize) {
        SqlDialect dialect = SqlDialect.of(c);
        if (dialect == SqlDialect.SQLITE) {
            HikariDataSource reads = pool(c, dialect, "mail-read", poolSize, true);
            return new MailboxQueries(dialect, reads, pool(c, dialect, "mail-delete", 1, false));
        }
        HikariDataSource both = pool(c, dialect, "mail-read", poolSize, false);
        return new MailboxQueries(dialect, both, both);
    }

    private static HikariDataSource pool(StoreConfig c, SqlDialect dialect, String name, int size, boolean readOnly) {
        HikariConfig h = new HikariConfig();
        h.setPoolName(name);
        h.setJdbcUrl(dialect.jdbcUrl(c));
        h.setMaximumPoolSize(size);
        h.setMinimumIdle(0);
        if (dialect == SqlDialect.SQLITE) {
            h.addDataSourceProperty("busy_timeout", Integer.toString(SQLITE_BUSY_TIMEOUT_MS));
            if (readOnly) {
                h.addDataSourceProperty("open_mode", SQLITE_OPEN_READONLY);
                // The pool sets the connection's flag; sqlite-jdbc refuses to change it once open.
                h.setReadOnly(true);
            }
        } else {
            h.setUsername(c.user);
            h.setPassword(c.password);
        }
        h.setConnectionTimeout(c.connectTimeoutMs);
        h.setValidationTimeout(Math.max(250, c.connectTimeoutMs / 2));
        h.setInitializationFailTimeout(-1);
        return new HikariDataSource(h);
    }

    private Connection connection(HikariDataSource pool) throws SQLException {
        Connection conn = pool.getConnection();
        if (dialect == SqlDialect.SQLITE) {
            // The store writes values up to 2 GiB - 1 (see SqlStore); SQLite reads only 1e9 by default.
            conn.unwrap(SQLiteConnection.class).setLimit(SQLiteLimits.SQLITE_LIMIT_LENGTH, Integer.MAX_VALUE);
        }
        return conn;
    }

    private String summaryColumns() {
        return "mail_id, date, " + dialect.q("from") + ", " + dialect.q("to") + ", subject, has_attach";
    }

    /**
     * A page of a mailbox, newest first.
     *
     * @param before only mail with a smaller id (the cursor: the last id of the previous page); 0 for the first page
     */
    public List<Summary> list(String mailbox, Filter filter, long before, int limit) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT ").append(summaryColumns())
                .append(" FROM new_mail WHERE ").append(dialect.q("to")).append(" = ?");
        List<Binder> binds = new ArrayList<>();
        binds.add((ps, i) -> ps.setString(i, mailbox));
        if (before > 0) {
            sql.append(" AND mail_id < ?");
            binds.add((ps, i) -> ps.setLong(i, before));
        }
        if (filter.from() != null) {
            sql.append(" AND lower(").append(dialect.q("from")).append(") LIKE ? ESCAPE '").append(LIKE_ESCAPE).append("'");
            binds.add((ps, i) -> ps.setString(i, contains(filter.from())));
        }
        if (filter.subject() != null) {
            sql.append(" AND lower(subject) LIKE ? ESCAPE '").append(LIKE_ESCAPE).append("'");
            binds.add((ps, i) -> ps.setString(i, contains(filter.subject())));
        }
        if (filter.since() != null) {
            sql.append(" AND date >= ?");
            binds.add((ps, i) -> dialect.bindDate(ps, i, SqlDialect.utc(filter.since())));
        }
        if (filter.until() != null) {
            sql.append(" AND date < ?");
            binds.add((ps, i) -> dialect.bindDate(ps, i, SqlDialect.utc(filter.until())));
        }
        sql.append(" ORDER BY mail_id DESC LIMIT ?");
        binds.add((ps, i) -> ps.setInt(i, limit));
        return summaries(sql.toString(), binds);
    }

    /** A mailbox's mail newer than {@code after}, oldest first (what a waiting client missed). */
    public List<Summary> newer(String mailbox, long after, int limit) throws SQLException {
        return summaries("SELECT " + summaryColumns() + " FROM new_mail WHERE " + dialect.q("to")
                + " = ? AND mail_id > ? ORDER BY mail_id LIMIT ?", List.of(
                (ps, i) -> ps.setString(i, mailbox), (ps, i) -> ps.setLong(i, after), (ps, i) -> ps.setInt(i, limit)));
    }

    /** Every mailbox's mail newer than {@code after}, oldest first: what the live-update poll reads. */
    public List<Summary> newerInAll(long after, int limit) throws SQLException {
        return summaries("SELECT " + summaryColumns() + " FROM new_mail WHERE mail_id > ? ORDER BY mail_id LIMIT ?",
                List.of((ps, i) -> ps.setLong(i, after), (ps, i) -> ps.setInt(i, limit)));
    }

    /** The rows among {@code ids} that exist (ids a poll saw missing, which a slower transaction may since have committed). */
    public List<Summary> byIds(Collection<Long> ids) throws SQLException {
        if (ids.isEmpty()) {
            return List.of();
        }
        List<Binder> binds = new ArrayList<>();
        for (long id : ids) {
            binds.add((ps, i) -> ps.setLong(i, id));
        }
        String marks = String.join(",", java.util.Collections.nCopies(ids.size(), "?"));
        return summaries("SELECT " + summaryColumns() + " FROM new_mail WHERE mail_id IN (" + marks + ") ORDER BY mail_id",
                binds);
    }

    /** The largest mail_id, 0 for an empty table: where the live-update poll starts. */
    public long maxId() throws SQLException {
        try (Connection conn = connection(reads);
             PreparedStatement ps = conn.prepareStatement("SELECT max(mail_id) FROM new_mail");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    /** One message of this mailbox; empty when the id is another mailbox's or does not exist. */
    public Optional<Stored> message(String mailbox, long id) throws SQLException {
        return Optional.ofNullable(messages(mailbox, List.of(id)).get(id));
    }

    /**
     * The messages of this mailbox among {@code ids}, by id, in one query (a list's excerpts would
     * otherwise cost a round trip each); ids of other mailboxes or of no message are left out.
     */
    public Map<Long, Stored> messages(String mailbox, List<Long> ids) throws SQLException {
        if (ids.isEmpty()) {
            return Map.of();
        }
        String marks = String.join(",", java.util.Collections.nCopies(ids.size(), "?"));
        String sql = "SELECT " + summaryColumns() + ", return_path, recipient, ip_addr, is_tls, body, hash, mail"
                + " FROM new_mail WHERE mail_id IN (" + marks + ") AND " + dialect.q("to") + " = ?";
        try (Connection conn = connection(reads); PreparedStatement ps = conn.prepareStatement(sql)) {
            for (int i = 0; i < ids.size(); i++) {
                ps.setLong(i + 1, ids.get(i));
            }
            ps.setString(ids.size() + 1, mailbox);
            Map<Long, Stored> found = new HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    byte[] mail = rs.getBytes(13);
                    Summary summary = summary(rs);
                    found.put(summary.id(), new Stored(summary, rs.getString(7), rs.getString(8), rs.getString(9),
                            rs.getBoolean(10), rs.getString(11), rs.getString(12), mail == null ? new byte[0] : mail));
                }
            }
            return found;
        }
    }

    /** Deletes one message of this mailbox; false when there was none. */
    public boolean delete(String mailbox, long id) throws SQLException {
        return update("DELETE FROM new_mail WHERE mail_id = ? AND " + dialect.q("to") + " = ?",
                List.of((ps, i) -> ps.setLong(i, id), (ps, i) -> ps.setString(i, mailbox))) > 0;
    }

    /** Deletes every message of this mailbox; returns how many. */
    public int deleteMailbox(String mailbox) throws SQLException {
        return update("DELETE FROM new_mail WHERE " + dialect.q("to") + " = ?", List.of((ps, i) -> ps.setString(i, mailbox)));
    }

    private int update(String sql, List<Binder> binds) throws SQLException {
        try (Connection conn = connection(writes); PreparedStatement ps = conn.prepareStatement(sql)) {
            bind(ps, binds);
            return ps.executeUpdate();
        }
    }

    private List<Summary> summaries(String sql, List<Binder> binds) throws SQLException {
        try (Connection conn = connection(reads); PreparedStatement ps = conn.prepareStatement(sql)) {
            bind(ps, binds);
            List<Summary> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(summary(rs));
                }
            }
            return out;
        }
    }

    private static void bind(PreparedStatement ps, List<Binder> binds) throws SQLException {
        for (int i = 0; i < binds.size(); i++) {
            binds.get(i).bind(ps, i + 1);
        }
    }

    private static Summary summary(ResultSet rs) throws SQLException {
        return new Summary(rs.getLong(1), instant(rs.getString(2)), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getInt(6) != 0);
    }

    /** Up to the second, whatever type the database keeps dates in (all are written in UTC). */
    private static Instant instant(String sqlDate) {
        String s = sqlDate.length() > 19 ? sqlDate.substring(0, 19) : sqlDate;
        return LocalDateTime.parse(s.replace('T', ' '), SQL_DATE).toInstant(ZoneOffset.UTC);
    }

    /** A LIKE pattern matching {@code text} anywhere, its wildcards taken literally. */
    private static String contains(String text) {
        StringBuilder b = new StringBuilder("%");
        for (char ch : text.toLowerCase(Locale.ROOT).toCharArray()) {
            if (ch == '%' || ch == '_' || ch == LIKE_ESCAPE) {
                b.append(LIKE_ESCAPE);
            }
            b.append(ch);
        }
        return b.append('%').toString();
    }

    /** A message as the Guerrilla Mail API lists it: its summary, the size of its stored row, and whether it was fetched. */
    public record Listed(Summary summary, long storedSize, boolean read) {
    }

    /** Creates the Guerrilla Mail API's tables where missing (init-db does too), so an older database serves it. */
    public void createApiTables() throws SQLException {
        try (Connection conn = connection(writes); Statement st = conn.createStatement()) {
            for (String ddl : SqlDialect.API_TABLES) {
                st.execute(ddl);
            }
        }
    }

    /**
     * A mailbox's mail with {@code after < mail_id < before}, newest first, {@code offset} skipped; each with
     * its stored size and read flag (Guerrilla Mail API lists).
     */
    public List<Listed> slice(String mailbox, long after, long before, int offset, int limit) throws SQLException {
        String sql = "SELECT n.mail_id, n.date, n." + dialect.q("from") + ", n." + dialect.q("to") + ", n.subject,"
                + " n.has_attach, length(n.mail), CASE WHEN r.mail_id IS NULL THEN 0 ELSE 1 END"
                + " FROM new_mail n LEFT JOIN gm_mail_read r ON r.mail_id = n.mail_id"
                + " WHERE n." + dialect.q("to") + " = ? AND n.mail_id > ? AND n.mail_id < ?"
                + " ORDER BY n.mail_id DESC LIMIT ? OFFSET ?";
        try (Connection conn = connection(reads); PreparedStatement ps = conn.prepareStatement(sql)) {
            ps.setString(1, mailbox);
            ps.setLong(2, after);
            ps.setLong(3, before);
            ps.setInt(4, limit);
            ps.setInt(5, offset);
            List<Listed> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Listed(summary(rs), rs.getLong(7), rs.getInt(8) != 0));
                }
            }
            return out;
        }
    }

    /** How many of a mailbox's messages have {@code after < mail_id < before}. */
    public long count(String mailbox, long after, long before) throws SQLException {
        try (Connection conn = connection(reads); PreparedStatement ps = conn.prepareStatement("SELECT count(*) FROM new_mail"
                + " WHERE " + dialect.q("to") + " = ? AND mail_id > ? AND mail_id < ?")) {
            ps.setString(1, mailbox);
            ps.setLong(2, after);
            ps.setLong(3, before);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** Whether the message was fetched before. */
    public boolean isRead(long id) throws SQLException {
        try (Connection conn = connection(reads);
             PreparedStatement ps = conn.prepareStatement("SELECT 1 FROM gm_mail_read WHERE mail_id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Marks a message fetched; marking it again changes nothing. */
    public void markRead(long id) throws SQLException {
        try {
            update("INSERT INTO gm_mail_read (mail_id) VALUES (?)", List.of((ps, i) -> ps.setLong(i, id)));
        } catch (SQLException e) {
            // Marked already (another node, or a second fetch at the same moment).
            if (!duplicateKey(e)) {
                throw e;
            }
        }
    }

    /** Drops the read marks of deleted messages. */
    public void forgetRead(Collection<Long> ids) throws SQLException {
        if (ids.isEmpty()) {
            return;
        }
        List<Binder> binds = new ArrayList<>();
        for (long id : ids) {
            binds.add((ps, i) -> ps.setLong(i, id));
        }
        update("DELETE FROM gm_mail_read WHERE mail_id IN (" + String.join(",", java.util.Collections.nCopies(ids.size(), "?"))
                + ")", binds);
    }

    /**
     * The key every node signs Guerrilla Mail API sessions with: the one in the database, or
     * {@code fresh} stored there first when there is none yet (the first node to start wins a race).
     */
    public String sharedSecret(String fresh) throws SQLException {
        for (int attempt = 0; attempt < 2; attempt++) {
            try (Connection conn = connection(writes);
                 PreparedStatement ps = conn.prepareStatement("SELECT secret FROM gm_api_secret WHERE id = 1");
                 ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return rs.getString(1);
                }
            }
            try {
                update("INSERT INTO gm_api_secret (id, secret) VALUES (1, ?)", List.of((ps, i) -> ps.setString(i, fresh)));
                return fresh;
            } catch (SQLException e) {
                if (!duplicateKey(e)) {
                    throw e;
                }
            }
        }
        throw new SQLException("gm_api_secret: no row after inserting one");
    }

    /** A primary key already taken: SQLSTATE class 23, or SQLite's SQLITE_CONSTRAINT (19), which sqlite-jdbc gives no SQLSTATE. */
    private static boolean duplicateKey(SQLException e) {
        return e.getSQLState() != null ? e.getSQLState().startsWith("23") : (e.getErrorCode() & 0xff) == 19;
    }

    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement ps, int index) throws SQLException;
    }

    @Override
    public void close() {
        reads.close();
        if (writes != reads) {
            writes.close();
        }
    }
}
