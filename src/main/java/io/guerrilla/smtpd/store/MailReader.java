package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.config.StoreConfig;

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

    private MailReader(Connection connection) {
        this.connection = connection;
    }

    public static MailReader open(StoreConfig c) throws StoreException {
        Path p = Path.of(c.path);
        if (!Files.exists(p)) {
            throw new StoreException("no database at " + p.toAbsolutePath() + " (has the server run yet?)");
        }
        try {
            return new MailReader(DriverManager.getConnection(SqliteStore.jdbcUrl(p)));
        } catch (SQLException e) {
            throw new StoreException("cannot open " + p + ": " + e.getMessage(), e);
        }
    }

    /** Newest first; {@code to} matches the recipient exactly, case-insensitively, when given. */
    public List<StoredMail> list(String to, int limit) throws SQLException {
        String sql = "SELECT mail_id, date, \"from\", \"to\", subject, body, hash, ip_addr FROM new_mail"
                + (to == null ? "" : " WHERE lower(\"to\") = lower(?)") + " ORDER BY mail_id DESC LIMIT ?";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            int i = 1;
            if (to != null) {
                ps.setString(i++, to);
            }
            ps.setInt(i, limit);
            List<StoredMail> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new StoredMail(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), null));
                }
            }
            return out;
        }
    }

    public Optional<StoredMail> get(long id) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT mail_id, date, \"from\", \"to\", subject,"
                + " body, hash, ip_addr, mail FROM new_mail WHERE mail_id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new StoredMail(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getBytes(9)));
            }
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
