package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.mail.Envelope;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The embedded default store: one SQLite file in WAL mode, written by a single group-commit thread
 * (SQLite has one writer at a time anyway), readable concurrently by any program further up the stack.
 */
public final class SqliteStore implements MailStore {

    static final String[] SCHEMA = {
        """
        CREATE TABLE IF NOT EXISTS new_mail (
          mail_id INTEGER PRIMARY KEY AUTOINCREMENT,
          date TEXT NOT NULL,
          "from" TEXT NOT NULL,
          "to" TEXT NOT NULL,
          subject TEXT NOT NULL,
          body TEXT NOT NULL,
          charset TEXT NOT NULL,
          mail BLOB NOT NULL,
          spam_score REAL NOT NULL,
          hash TEXT NOT NULL,
          content_type TEXT NOT NULL,
          recipient TEXT NOT NULL,
          has_attach INTEGER NOT NULL,
          ip_addr TEXT NOT NULL,
          message_id TEXT NOT NULL DEFAULT '',
          reply_to TEXT NOT NULL DEFAULT '',
          sender TEXT NOT NULL DEFAULT '',
          return_path TEXT NOT NULL DEFAULT '',
          is_tls INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX IF NOT EXISTS new_mail_to ON new_mail(\"to\")",
        "CREATE INDEX IF NOT EXISTS new_mail_hash ON new_mail(hash)",
        "CREATE INDEX IF NOT EXISTS new_mail_date ON new_mail(date)",
        """
        CREATE TABLE IF NOT EXISTS gm2_setting (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          setting_value INTEGER NOT NULL,
          date TEXT NOT NULL,
          setting_name TEXT NOT NULL
        )""",
        """
        INSERT INTO gm2_setting (setting_value, date, setting_name)
        SELECT 0, datetime('now'), 'received_emails'
        WHERE NOT EXISTS (SELECT 1 FROM gm2_setting WHERE setting_name = 'received_emails')"""
    };

    static final String INSERT = "INSERT INTO new_mail (date, \"from\", \"to\", subject, body, charset, mail,"
            + " spam_score, hash, content_type, recipient, has_attach, ip_addr, message_id, reply_to, sender,"
            + " return_path, is_tls) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    static final String COUNT = "UPDATE gm2_setting SET setting_value = setting_value + ?, date = datetime('now')"
            + " WHERE setting_name = 'received_emails'";

    /**
     * WAL pages (4 KiB each) before the writer copies them into the database. SQLite's default of
     * 1,000 checkpoints (and fsyncs the database file) every ~900 messages of 4 KiB; 10,000 does it
     * ten times less often for a WAL of at most ~40 MiB, and measured 13% more messages/s
     * (bench/RESULTS.md).
     */
    static final int WAL_AUTOCHECKPOINT_PAGES = 10_000;

    private final Path path;
    private final String synchronous;
    private final Executor processing;
    private final int maxBatch;
    private final long maxWaitMillis;
    private final int queueCapacity;
    private Connection connection;
    /** Prepared once, not per batch, where it showed in the writer's profile; prepared again after a failure. */
    private PreparedStatement insert;
    private PreparedStatement count;
    private GroupCommitter<MailRowFactory.Parsed> committer;

    /**
     * @param synchronous SQLite's synchronous pragma: FULL fsyncs the WAL at every commit, so a 250 survives
     *                    power loss; NORMAL survives process crashes (kill -9) but not power loss
     * @param processing  where header parsing and row building run, off the event loop and the writer
     */
    public SqliteStore(Path path, String synchronous, Executor processing, int maxBatch, long maxWaitMillis,
                       int queueCapacity) {
        this.path = path;
        this.synchronous = synchronous;
        this.processing = processing;
        this.maxBatch = maxBatch;
        this.maxWaitMillis = maxWaitMillis;
        this.queueCapacity = queueCapacity;
    }

    public static String jdbcUrl(Path path) {
        return "jdbc:sqlite:" + path.toAbsolutePath();
    }

    @Override
    public void open() throws StoreException {
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            connection = DriverManager.getConnection(jdbcUrl(path));
            try (Statement st = connection.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL");
                st.execute("PRAGMA synchronous=" + synchronous);
                st.execute("PRAGMA busy_timeout=5000");
                st.execute("PRAGMA wal_autocheckpoint=" + WAL_AUTOCHECKPOINT_PAGES);
                for (String ddl : SCHEMA) {
                    st.execute(ddl);
                }
            }
            connection.setAutoCommit(false);
            connection.commit();
        } catch (Exception e) {
            throw new StoreException("cannot open SQLite database " + path + ": " + e.getMessage(), e);
        }
        committer = new GroupCommitter<>("sqlite-writer", this::write, maxBatch, maxWaitMillis, queueCapacity);
    }

    @Override
    public CompletableFuture<Void> save(Envelope env) {
        CompletableFuture<Void> saved = CompletableFuture.supplyAsync(() -> MailRowFactory.parse(env), processing)
                .thenCompose(committer::submit);
        // The writer reads the body while binding, so it is released only once the commit is over.
        saved.whenComplete((ok, err) -> env.body().release());
        return saved;
    }

    /** Binds and executes row by row rather than in a JDBC batch, which would hold every row's copy at once. */
    private void write(List<MailRowFactory.Parsed> messages) throws SQLException {
        try {
            if (insert == null) {
                insert = connection.prepareStatement(INSERT);
                count = connection.prepareStatement(COUNT);
            }
            for (MailRowFactory.Parsed m : messages) {
                for (MailRow row : m.rows()) {
                    bind(insert, row);
                    insert.executeUpdate();
                    // The statement outlives the batch: it must not keep the last row's copy alive.
                    insert.clearParameters();
                }
            }
            count.setInt(1, messages.size());
            count.executeUpdate();
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            try {
                connection.rollback();
            } catch (SQLException rollbackFailure) {
                e.addSuppressed(rollbackFailure);
            }
            closeStatements();
            throw e;
        }
    }

    /** A statement that failed (say, its table went away) may not recover: the next batch prepares anew. */
    private void closeStatements() {
        for (PreparedStatement ps : new PreparedStatement[] {insert, count}) {
            try {
                if (ps != null) {
                    ps.close();
                }
            } catch (SQLException ignored) {
                // Only its handle is freed here; nothing of the failed batch was committed.
            }
        }
        insert = null;
        count = null;
    }

    static void bind(PreparedStatement ps, MailRow r) throws SQLException {
        ps.setString(1, r.date());
        ps.setString(2, r.from());
        ps.setString(3, r.to());
        ps.setString(4, r.subject());
        ps.setString(5, r.body());
        ps.setString(6, r.charset());
        ps.setBytes(7, r.mail());
        ps.setFloat(8, r.spamScore());
        ps.setString(9, r.hash());
        ps.setString(10, r.contentType());
        ps.setString(11, r.recipient());
        ps.setInt(12, r.hasAttach() ? 1 : 0);
        ps.setString(13, r.ipAddr());
        ps.setString(14, r.messageId());
        ps.setString(15, r.replyTo());
        ps.setString(16, r.sender());
        ps.setString(17, r.returnPath());
        ps.setInt(18, r.isTls() ? 1 : 0);
    }

    @Override
    public void close() {
        if (committer != null) {
            committer.close();
        }
        if (connection != null) {
            try {
                // Closes its statements too.
                connection.close();
            } catch (SQLException ignored) {
                // Closing after the last commit: nothing acknowledged depends on it.
            }
        }
    }
}
