package io.guerrilla.smtpd.support;

import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.config.StoreType;
import io.guerrilla.smtpd.store.SqlDialect;
import io.guerrilla.smtpd.store.SqlStore;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * The real databases and key-value stores that .ci/services.sh runs on loopback (database guerrilla_test,
 * user guerrilla/guerrilla). A test asking for one that does not answer is skipped locally and fails
 * under CI (see {@link Requirements}).
 */
public final class Databases {
    public static final String NAME = "guerrilla_test";

    private Databases() {
    }

    /** A store config for type "sqlite" (path left to the caller), "mysql" or "postgres". */
    public static StoreConfig config(String type) {
        StoreConfig c = new StoreConfig();
        c.type = StoreType.valueOf(type.toUpperCase(Locale.ROOT));
        if (c.type != StoreType.SQLITE) {
            c.host = "127.0.0.1";
            c.database = NAME;
            c.user = "guerrilla";
            c.password = "guerrilla";
            c.poolSize = 2;
        }
        return c;
    }

    /** A store config for a private mariadbd ({@link PrivateService#mariadb}), in a database "guerrilla" created now. */
    public static StoreConfig privateMariadb(PrivateService mariadb) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + mariadb.port + "/mysql", "root", "");
             Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE guerrilla");
        }
        StoreConfig store = config("mysql");
        store.port = mariadb.port;
        store.database = "guerrilla";
        return store;
    }

    /** Skips (fails under CI) unless the database answers; then creates its schema, as init-db would. */
    public static void requireWithSchema(StoreConfig c) throws Exception {
        if (c.type == StoreType.SQLITE) {
            return;
        }
        require(c.type.configName(), c.port == 0 ? (c.type == StoreType.MYSQL ? 3306 : 5432) : c.port);
        try (SqlStore store = new SqlStore(c)) {
            store.createSchema();
        }
    }

    /**
     * A store config for a database of the test's own, {@code guerrilla_test_<suffix>} (the test user may
     * create those), dropped and created empty with the schema: for tests that delete rows, which must
     * never reach the rows of tests running beside them in guerrilla_test. SQLite: a file in {@code dir}.
     */
    public static StoreConfig privateDatabase(String type, String suffix, Path dir) throws Exception {
        StoreConfig c = config(type);
        if (c.type == StoreType.SQLITE) {
            c.path = dir.resolve(suffix + ".db").toString();
            try (SqlStore store = new SqlStore(c)) {
                store.createSchema();
            }
            return c;
        }
        require(c.type.configName(), c.type == StoreType.MYSQL ? 3306 : 5432);
        String name = NAME + "_" + suffix;
        try (Connection conn = connect(c); Statement st = conn.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + name);
            st.execute("CREATE DATABASE " + name);
        }
        c.database = name;
        requireWithSchema(c);
        return c;
    }

    /** Skips (fails under CI) unless something listens on 127.0.0.1:port. */
    public static void require(String what, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        } catch (IOException e) {
            Requirements.missing(what + " is not reachable on 127.0.0.1:" + port);
        }
    }

    public static Connection connect(StoreConfig c) throws SQLException {
        String url = SqlDialect.of(c).jdbcUrl(c);
        return c.type == StoreType.SQLITE ? DriverManager.getConnection(url) : DriverManager.getConnection(url, c.user, c.password);
    }

    /** Empties new_mail and zeroes the received_emails counter, so a test class starts from nothing. */
    public static void truncate(StoreConfig c) throws SQLException {
        try (Connection conn = connect(c); Statement st = conn.createStatement()) {
            st.execute(c.type == StoreType.SQLITE ? "DELETE FROM new_mail" : "TRUNCATE TABLE new_mail");
            st.execute("UPDATE gm2_setting SET setting_value = 0 WHERE setting_name = 'received_emails'");
        }
    }
}
