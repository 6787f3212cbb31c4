package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.config.StoreConfig;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What differs between the SQL databases: the JDBC URL, the DDL (same columns, each database's own
 * types), identifier quoting ({@code from} and {@code to} are reserved words) and how "now" and a
 * date are written. Everything else, the statements and the group commit, is shared by {@link SqlStore}.
 */
public enum SqlDialect {
    SQLITE('"', "datetime('now')") {
        @Override
        String url(StoreConfig c) {
            return "jdbc:sqlite:" + Path.of(c.path).toAbsolutePath();
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
    },

    /** The seed's DDL, with utf8mb4 (MySQL's utf8 is 3-byte and cannot hold every address or subject) and go-guerrilla's columns. */
    MYSQL('`', "UTC_TIMESTAMP()") {
        @Override
        String url(StoreConfig c) {
            return "jdbc:mariadb://" + c.host + ":" + (c.port == 0 ? 3306 : c.port) + "/" + c.database
                    + "?connectTimeout=" + c.connectTimeoutMs + "&socketTimeout=" + c.timeout * 1000L;
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
    },

    POSTGRES('"', "(now() AT TIME ZONE 'UTC')") {
        @Override
        String url(StoreConfig c) {
            // The PostgreSQL driver counts its timeouts in seconds.
            return "jdbc:postgresql://" + c.host + ":" + (c.port == 0 ? 5432 : c.port) + "/" + c.database
                    + "?reWriteBatchedInserts=true&connectTimeout=" + Math.max(1, c.connectTimeoutMs / 1000)
                    + "&socketTimeout=" + c.timeout;
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
        return switch (c.kind()) {
            case "mysql" -> MYSQL;
            case "postgres" -> POSTGRES;
            default -> SQLITE;
        };
    }

    /** The JDBC URL: the config's dsn when given, otherwise built from host, port and database. */
    public String jdbcUrl(StoreConfig c) {
        return this != SQLITE && c.dsn != null && !c.dsn.isBlank() ? c.dsn : url(c);
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

    abstract String url(StoreConfig c);

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
     * The row insert: {@code mail} comes last, as {@code mailValue} (a parameter or an expression that
     * builds the value in the database), so every other column binds by the same index either way.
     */
    String insert(String mailValue) {
        return "INSERT INTO new_mail (date, " + q("from") + ", " + q("to") + ", subject, body, charset, hash,"
                + " content_type, recipient, has_attach, ip_addr, message_id, reply_to, sender, return_path, is_tls,"
                + " spam_score, mail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?," + mailValue + ")";
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
