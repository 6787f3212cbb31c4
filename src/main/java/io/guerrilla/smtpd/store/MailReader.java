package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.config.StoreConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteLimits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads what the server stored, for people without a SQL client at hand. */
public final class MailReader implements AutoCloseable {
    private final Connection connection;
    private final SqlDialect dialect;

    private MailReader(Connection connection, SqlDialect dialect) {
        this.connection = connection;
        this.dialect = dialect;
    }

    public static MailReader open(StoreConfig c) throws StoreException {
        SqlDialect dialect = SqlDialect.of(c);
        if (dialect == SqlDialect.SQLITE && !Files.exists(Path.of(c.path))) {
            throw new StoreException("no database at " + Path.of(c.path).toAbsolutePath() + " (has the server run yet?)");
        }
        try {
            Connection conn = dialect == SqlDialect.SQLITE ? DriverManager.getConnection(dialect.jdbcUrl(c))
                    : DriverManager.getConnection(dialect.jdbcUrl(c), c.user, c.password);
            if (dialect == SqlDialect.SQLITE) {
                // The store writes values up to 2 GiB - 1 (see SqlStore); SQLite reads only 1e9 by default.
                conn.unwrap(SQLiteConnection.class).setLimit(SQLiteLimits.SQLITE_LIMIT_LENGTH, Integer.MAX_VALUE);
            }
            return new MailReader(conn, dialect);
        } catch (SQLException e) {
            throw new StoreException("cannot open " + SqlDialect.redact(dialect.jdbcUrl(c)) + ": "
                    + SqlDialect.redact(e.getMessage()), e);
        }
    }

    private String columns() {
        return "mail_id, date, " + dialect.q("from") + ", " + dialect.q("to") + ", subject, body, hash, ip_addr";
    }

    /** Newest first; {@code to} matches the recipient exactly, case-insensitively, when given. */
    public List<StoredMail> list(String to, int limit) throws SQLException {
        String sql = "SELECT " + columns() + " FROM new_mail"
                + (to == null ? "" : " WHERE lower(" + dialect.q("to") + ") = lower(?)") + " ORDER BY mail_id DESC LIMIT ?";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            int i = 1;
            if (to != null) {
                ps.setString(i++, to);
            }
            ps.setInt(i, limit);
            List<StoredMail> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(read(rs, null));
                }
            }
            return out;
        }
    }

    public Optional<StoredMail> get(long id) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + columns() + ", mail FROM new_mail WHERE mail_id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs, open(rs.getString(6), rs.getBytes(9)))) : Optional.empty();
            }
        }
    }

    /** The message as {@code body} says it is kept: compressed ones opened; Redis/Memcached ones are not fetched. */
    private static byte[] open(String body, byte[] mail) throws SQLException {
        if (mail.length == 0) {
            return mail;
        }
        try {
            return StoredBodies.decode(body, mail);
        } catch (IOException e) {
            throw new SQLException("stored " + body + " message does not decompress: " + e.getMessage(), e);
        }
    }

    private static StoredMail read(ResultSet rs, byte[] mail) throws SQLException {
        // Up to the second, whatever type the database keeps dates in.
        String date = rs.getString(2);
        return new StoredMail(rs.getLong(1), date.length() > 19 ? date.substring(0, 19) : date, rs.getString(3),
                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), mail);
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
