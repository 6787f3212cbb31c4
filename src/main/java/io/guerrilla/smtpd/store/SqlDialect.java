package io.guerrilla.smtpd.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.guerrilla.smtpd.config.StoreConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteLimits;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * What differs between the SQL databases: the JDBC URL, the DDL (same columns, each database's own
 * types), identifier quoting ({@code from} and {@code to} are reserved words), how "now" and a
 * date are written, and what the embedded SQLite does apart from the network databases (one writer,
 * a file to create and watch, large values joined in the database). Everything else, the statements
 * and the group commit, is shared by {@link SqlStore}.
 */
public enum SqlDialect {
    SQLITE('"', "datetime('now')") {
        @Override
        String url(SqlSettings c) {
            return "jdbc:sqlite:" + Path.of(c.path()).toAbsolutePath();
        }

        @Override
        List<String> ddl() {
            return List.of("""
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
                  %s
                )""".formatted(additionsDdl()),
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
                counterRow(""));
        }

        @Override
        void bindDate(PreparedStatement ps, int index, LocalDateTime utc) throws SQLException {
            ps.setString(index, SQL_DATE.format(utc));
        }

        @Override
        Map<String, String> additions() {
            return additions("TEXT", "INTEGER NOT NULL DEFAULT 0");
        }

        @Override
        boolean createsSchemaOnOpen() {
            return true;
        }

        @Override
        int writers(SqlSettings c) {
            return 1;
        }

        @Override
        void configurePool(HikariConfig h, SqlSettings c) throws StoreException {
            try {
                Path db = Path.of(c.path()).toAbsolutePath();
                SqlStore.createPrivately(db);
                if (Files.size(db) == 0) {
                    SqlStore.createSqliteFile(jdbcUrl(c));
                }
            } catch (Exception e) {
                throw new StoreException("cannot create " + c.path() + ": " + e.getMessage(), e);
            }
            // SQLite has one writer at a time anyway; WAL lets readers work beside it.
            h.setMaximumPoolSize(1);
            h.addDataSourceProperty("journal_mode", "WAL");
            h.addDataSourceProperty("synchronous", c.synchronous().name());
            // Another process's write lock must not hold a batch (and its clients' replies) past the store timeout.
            h.addDataSourceProperty("busy_timeout", Long.toString(Math.min(SqlStore.SQLITE_BUSY_TIMEOUT_MS,
                    TimeUnit.SECONDS.toMillis(c.timeout()))));
            h.setConnectionInitSql("PRAGMA wal_autocheckpoint=" + SqlStore.SQLITE_WAL_AUTOCHECKPOINT_PAGES);
        }

        @Override
        SqliteFile databaseFile(SqlSettings c) {
            return new SqliteFile(Path.of(c.path()));
        }

        @Override
        Connection pingConnection(SqlSettings c, HikariDataSource pool) throws SQLException {
            if (!Files.isRegularFile(Path.of(c.path()))) {
                return null;
            }
            return DriverManager.getConnection(jdbcUrl(c));
        }

        @Override
        void boundQueryTime(Statement st, long deadline) {
            // A local file: nothing to freeze on the other end of a socket; its busy timeout bounds lock waits.
        }

        /**
         * sqlite-jdbc would read a bound stream into one array, so the bytes go in parts of
         * {@link SqlStore#PART_BYTES} into a temporary table and SQLite joins them into the row itself,
         * in its own memory: the heap never holds more than one part.
         */
        @Override
        void insertLarge(Connection c, PreparedStatement insert, MailRow row) throws SQLException, IOException {
            // Values up to SQLite's compile-time maximum (2 GiB - 1) instead of its run-time default of 1e9.
            c.unwrap(SQLiteConnection.class).setLimit(SQLiteLimits.SQLITE_LIMIT_LENGTH, Integer.MAX_VALUE);
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TEMP TABLE IF NOT EXISTS mail_part (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)");
                st.execute("DELETE FROM temp.mail_part");
                long written = 0;
                try (PreparedStatement part = c.prepareStatement("INSERT INTO temp.mail_part (seq, data) VALUES (?, ?)");
                     InputStream in = row.mail().open()) {
                    byte[] buffer = new byte[SqlStore.PART_BYTES];
                    int n;
                    for (int seq = 0; (n = in.readNBytes(buffer, 0, SqlStore.PART_BYTES)) > 0; seq++) {
                        part.setInt(1, seq);
                        part.setBytes(2, n == SqlStore.PART_BYTES ? buffer : Arrays.copyOf(buffer, n));
                        part.executeUpdate();
                        written += n;
                    }
                }
                if (written != row.mail().length()) {
                    throw new EOFException("message of " + row.mail().length() + " octets read back as " + written);
                }
                try (PreparedStatement joined = c.prepareStatement(insert(
                        "(SELECT CAST(group_concat(data, '' ORDER BY seq) AS BLOB) FROM temp.mail_part)"))) {
                    MailColumn.bindAll(this, joined, row);
                    joined.executeUpdate();
                }
                st.execute("DELETE FROM temp.mail_part");
            }
        }

        @Override
        String describe(SqlSettings c) {
            return "SQLite database " + location(c);
        }

        @Override
        String location(SqlSettings c) {
            return c.path();
        }
    },

    /** The seed's DDL, with utf8mb4 (MySQL's utf8 is 3-byte and cannot hold every address or subject) and go-guerrilla's columns. */
    MYSQL('`', "UTC_TIMESTAMP()") {
        @Override
        String url(SqlSettings c) {
            return "jdbc:mariadb://" + c.host() + ":" + (c.port() == 0 ? 3306 : c.port()) + "/" + c.database()
                    + "?connectTimeout=" + c.connectTimeoutMs() + "&socketTimeout=" + c.timeout() * 1000L;
        }

        @Override
        List<String> ddl() {
            return List.of("""
                CREATE TABLE IF NOT EXISTS new_mail (
                  mail_id int(11) NOT NULL auto_increment,
                  date datetime NOT NULL,
                  `from` varchar(128) NOT NULL,
                  `to` varchar(255) NOT NULL,
                  subject varchar(255) NOT NULL,
                  body text NOT NULL,
                  charset varchar(32) NOT NULL,
                  mail longblob NOT NULL,
                  spam_score float NOT NULL,
                  hash char(32) character set latin1 NOT NULL,
                  content_type varchar(64) NOT NULL,
                  recipient varchar(255) NOT NULL,
                  has_attach int(11) NOT NULL,
                  ip_addr varchar(64) NOT NULL,
                  %s,
                  PRIMARY KEY (mail_id),
                  KEY `to` (`to`),
                  KEY hash (hash),
                  KEY date (date)
                ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""".formatted(additionsDdl()),
                """
                CREATE TABLE IF NOT EXISTS gm2_setting (
                  id int(11) NOT NULL auto_increment,
                  setting_value int(11) NOT NULL,
                  date datetime NOT NULL,
                  setting_name varchar(128) NOT NULL,
                  PRIMARY KEY (id)
                ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
                counterRow(" FROM DUAL"));
        }

        @Override
        Map<String, String> additions() {
            return additions("varchar(255)", "tinyint(1) NOT NULL DEFAULT 0");
        }

        /**
         * max_allowed_packet: a larger statement makes the server drop the connection, which would fail
         * the messages after it too, so such a row is refused before it is sent.
         */
        @Override
        long maxPacketBytes(Connection c) throws SQLException {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT @@max_allowed_packet")) {
                return rs.next() ? rs.getLong(1) : Long.MAX_VALUE;
            }
        }
    },

    POSTGRES('"', "(now() AT TIME ZONE 'UTC')") {
        @Override
        String url(SqlSettings c) {
            // The PostgreSQL driver counts its timeouts in seconds.
            return "jdbc:postgresql://" + c.host() + ":" + (c.port() == 0 ? 5432 : c.port()) + "/" + c.database()
                    + "?reWriteBatchedInserts=true&connectTimeout=" + Math.max(1, c.connectTimeoutMs() / 1000)
                    + "&socketTimeout=" + c.timeout();
        }

        @Override
        List<String> ddl() {
            return List.of("""
                CREATE TABLE IF NOT EXISTS new_mail (
                  mail_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                  date timestamp(0) NOT NULL,
                  "from" varchar(128) NOT NULL,
                  "to" varchar(255) NOT NULL,
                  subject varchar(255) NOT NULL,
                  body text NOT NULL,
                  charset varchar(32) NOT NULL,
                  mail bytea NOT NULL,
                  spam_score real NOT NULL,
                  hash char(32) NOT NULL,
                  content_type varchar(64) NOT NULL,
                  recipient varchar(255) NOT NULL,
                  has_attach integer NOT NULL,
                  ip_addr varchar(64) NOT NULL,
                  %s
                )""".formatted(additionsDdl()),
                "CREATE INDEX IF NOT EXISTS new_mail_hash ON new_mail (hash)",
                "CREATE INDEX IF NOT EXISTS new_mail_date ON new_mail (date)",
                """
                CREATE TABLE IF NOT EXISTS gm2_setting (
                  id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                  setting_value bigint NOT NULL,
                  date timestamp(0) NOT NULL,
                  setting_name varchar(128) NOT NULL
                )""",
                counterRow(""));
        }

        @Override
        Map<String, String> additions() {
            return additions("varchar(255)", "boolean NOT NULL DEFAULT false");
        }

        /**
         * A PostgreSQL index on {@code to} alone does not hold mail_id order, so a mailbox page would
         * be sorted; SQLite and InnoDB append the row id / primary key to every index, so their
         * {@code to} index already is (to, mail_id).
         */
        @Override
        Map<String, String> readIndexes() {
            return Map.of(MAILBOX_INDEX, "CREATE INDEX " + MAILBOX_INDEX + " ON new_mail (\"to\", mail_id)");
        }

        @Override
        String socketTimeout(SqlSettings c) {
            // The PostgreSQL driver counts its timeouts in seconds.
            return Integer.toString(c.timeout());
        }
    };

    private static final DateTimeFormatter SQL_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    /** Columns serve checks for, per table: the seed's plus go-guerrilla's additions. */
    static final Map<String, List<String>> REQUIRED_COLUMNS = Map.of(
            "new_mail", List.of("mail_id", "date", "from", "to", "subject", "body", "charset", "mail", "spam_score",
                    "hash", "content_type", "recipient", "has_attach", "ip_addr", "message_id", "reply_to", "sender",
                    "return_path", "is_tls"),
            "gm2_setting", List.of("id", "setting_value", "date", "setting_name"));

    private final char quote;
    private final String now;

    SqlDialect(char quote, String now) {
        this.quote = quote;
        this.now = now;
    }

    public static SqlDialect of(StoreConfig c) {
        return switch (c.type) {
            case MYSQL -> MYSQL;
            case POSTGRES -> POSTGRES;
            case SQLITE -> SQLITE;
        };
    }

    /** The JDBC URL of a store section: the dsn when given, otherwise built from host, port and database. */
    public String jdbcUrl(StoreConfig c) {
        return jdbcUrl(SqlSettings.from(c));
    }

    /** The JDBC URL: the settings' dsn when given, otherwise built from host, port and database. */
    public String jdbcUrl(SqlSettings c) {
        return this != SQLITE && c.dsn() != null && !c.dsn().isBlank() ? c.dsn() : url(c);
    }

    /** A password parameter ({@code password=}, {@code pwd=}...) in a URL's query or properties. */
    private static final Pattern PASSWORD_PARAMETER =
            Pattern.compile("(?i)((?:password|passwd|pwd|pass)\\s*=)[^&;)\\s]*");
    /** The password of {@code scheme://user:password@host}. */
    private static final Pattern USERINFO_PASSWORD = Pattern.compile("(//[^/@:\\s]*:)[^/@\\s]*@");

    /** The text (a JDBC URL, or a message that quotes one) with every password in it replaced by ***: for logs and errors. */
    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        String t = PASSWORD_PARAMETER.matcher(text).replaceAll("$1***");
        return USERINFO_PASSWORD.matcher(t).replaceAll("$1***@");
    }

    abstract String url(SqlSettings c);

    /** Creates what is missing; each statement is idempotent, so init-db may run again. */
    abstract List<String> ddl();

    /**
     * go-guerrilla's columns, which the seed's (PHP Guerrilla) table lacks: name to column definition,
     * in table order, so init-db can add them to an existing table.
     */
    abstract Map<String, String> additions();

    static Map<String, String> additions(String textType, String flagDefinition) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String name : List.of("message_id", "reply_to", "sender", "return_path")) {
            m.put(name, textType + " NOT NULL DEFAULT ''");
        }
        m.put("is_tls", flagDefinition);
        return m;
    }

    /**
     * The Guerrilla Mail API's own state, beside the Guerrilla tables (whose columns stay as they are):
     * which messages a reader has fetched ({@code mail_read}), and the key that signs its session tokens
     * when the config gives none, shared by every node on the database. Portable SQL, the same everywhere.
     */
    public static final List<String> API_TABLES = List.of(
            "CREATE TABLE IF NOT EXISTS gm_mail_read (mail_id BIGINT NOT NULL PRIMARY KEY)",
            "CREATE TABLE IF NOT EXISTS gm_api_secret (id INTEGER NOT NULL PRIMARY KEY, secret VARCHAR(64) NOT NULL)");

    /**
     * The index reading a mailbox newest first uses (and retention's per-mailbox cap): {@code to}, then
     * mail_id. Where the seed's {@code to} index already is that, it is not added again.
     */
    public static final String MAILBOX_INDEX = "new_mail_mailbox";

    /**
     * Indexes beyond the seed's ({@code to}, {@code hash}, {@code date}), by name; init-db (and every
     * SQLite start) creates those missing, so existing databases get them too.
     */
    Map<String, String> readIndexes() {
        return Map.of();
    }

    String additionsDdl() {
        StringBuilder b = new StringBuilder();
        additions().forEach((name, definition) -> b.append(b.length() == 0 ? "" : ",\n  ").append(name).append(' ').append(definition));
        return b.toString();
    }

    String addColumn(String name) {
        return "ALTER TABLE new_mail ADD COLUMN " + name + " " + additions().get(name);
    }

    /** Whether the store creates missing tables when it opens (an embedded file) rather than only by init-db. */
    boolean createsSchemaOnOpen() {
        return false;
    }

    /** Group-commit writers: one per pooled connection for a network database. */
    int writers(SqlSettings c) {
        return c.poolSize();
    }

    /** Sets what the pool needs beyond the JDBC URL; for SQLite, creates the file privately first. */
    void configurePool(HikariConfig h, SqlSettings c) throws StoreException {
        h.setUsername(c.user());
        h.setPassword(c.password());
        // A read from a frozen server (SIGSTOP, a hung host) returns within the store timeout instead of
        // never, so its writer and the saves it holds end; their clients already got 451 at the timeout.
        h.addDataSourceProperty("socketTimeout", socketTimeout(c));
        // One connection more than writers, for the probe and the schema check.
        h.setMaximumPoolSize(c.poolSize() + 1);
        h.setMinimumIdle(c.poolMinIdle());
    }

    /** The driver's socketTimeout property: the store timeout in the unit the driver counts. */
    String socketTimeout(SqlSettings c) {
        return Long.toString(TimeUnit.SECONDS.toMillis(c.timeout()));
    }

    /** The file whose identity every commit checks (SQLite); null when there is none. */
    SqliteFile databaseFile(SqlSettings c) {
        return null;
    }

    /**
     * A connection for a readiness probe, or null when the database is plainly not there. SQLite opens
     * the file by its path, so a removed or replaced file shows; the others take one from the pool.
     */
    Connection pingConnection(SqlSettings c, HikariDataSource pool) throws SQLException {
        return pool.getConnection();
    }

    /** The largest statement the database takes, read when the schema is checked; unbounded unless it says. */
    long maxPacketBytes(Connection c) throws SQLException {
        return Long.MAX_VALUE;
    }

    /**
     * Bounds the next statement by what is left of its transaction's store.timeout ({@code deadline}, a
     * {@link System#nanoTime} value), so a transaction, not only each statement, ends in about that time
     * and its clients hear its real outcome; also a statement the database takes but never answers.
     */
    void boundQueryTime(Statement st, long deadline) throws SQLException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SQLTimeoutException("transaction took longer than store.timeout");
        }
        st.setQueryTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toSeconds(left + TimeUnit.SECONDS.toNanos(1) - 1)));
    }

    /** Writes one large row without reading it into an array: the network drivers stream a bound stream themselves. */
    void insertLarge(Connection c, PreparedStatement insert, MailRow row) throws SQLException, IOException {
        try (InputStream in = row.mail().open()) {
            MailColumn.bindAll(this, insert, row);
            insert.setBinaryStream(MailColumn.MAIL_PARAMETER, in, row.mail().length());
            insert.executeUpdate();
        }
    }

    /** The database as logs and errors name it, without its password. */
    String describe(SqlSettings c) {
        return name().toLowerCase(Locale.ROOT) + " database " + location(c);
    }

    /** Where the database is: the SQLite file, or user@host:port/database (a DSN with its password redacted). */
    String location(SqlSettings c) {
        return c.dsn() == null || c.dsn().isBlank()
                ? c.user() + "@" + c.host() + ":" + (c.port() == 0 ? "default port" : c.port()) + "/" + c.database()
                : redact(c.dsn());
    }

    /** Binds a UTC receive time to a DATETIME/TIMESTAMP column (SQLite: its TEXT date format). */
    void bindDate(PreparedStatement ps, int index, LocalDateTime utc) throws SQLException {
        ps.setObject(index, utc);
    }

    static LocalDateTime utc(java.time.Instant t) {
        return LocalDateTime.ofInstant(t, ZoneOffset.UTC);
    }

    /** An identifier quoted for this database. */
    public String q(String name) {
        return quote + name + quote;
    }

    /** A bound parameter as the {@code mail} value of {@link #insert}. */
    static final String PARAMETER = "?";

    /**
     * The row insert of every {@link MailColumn}: {@code mail} comes last, as {@code mailValue} (a
     * parameter or an expression that builds the value in the database), so every other column binds by
     * the same index either way.
     */
    String insert(String mailValue) {
        StringBuilder columns = new StringBuilder();
        for (MailColumn c : MailColumn.values()) {
            columns.append(q(c.column)).append(", ");
        }
        return "INSERT INTO new_mail (" + columns + "mail) VALUES (" + "?,".repeat(MailColumn.values().length)
                + mailValue + ")";
    }

    String countReceived() {
        return "UPDATE gm2_setting SET setting_value = setting_value + ?, date = " + now
                + " WHERE setting_name = 'received_emails'";
    }

    String counterRow(String fromDual) {
        return "INSERT INTO gm2_setting (setting_value, date, setting_name) SELECT 0, " + now + ", 'received_emails'"
                + fromDual + " WHERE NOT EXISTS (SELECT 1 FROM gm2_setting WHERE setting_name = 'received_emails')";
    }
}
