package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.app.Daemon;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.NeedsServices;
import io.guerrilla.smtpd.support.PrivateService;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the server does when a store is missing something or cannot be reached: an incomplete schema
 * stops it at start with the list of what is missing; an unreachable database or key-value store
 * does not stop it, but every message gets 451 4.3.0 (never a 250 without a row), and it recovers
 * by itself when the service returns.
 */
class StoreAvailabilityTest {

    static String send(SmtpClient c, String subject) throws Exception {
        c.command("MAIL FROM:<a@avail.test>");
        c.command("RCPT TO:<x@example.com>");
        c.command("DATA");
        c.send("Subject: " + subject + "\r\n\r\nbody\r\n.\r\n");
        return c.reply();
    }

    private static GuerrillaConfig config(StoreConfig store) {
        GuerrillaConfig c = new GuerrillaConfig();
        c.listenInterface = "127.0.0.1:0";
        c.allowedHosts = List.of("example.com");
        c.store = store;
        return c;
    }

    @Test
    void incompleteSqliteSchemaStopsTheStartNamingWhatIsMissing(@TempDir Path dir) throws Exception {
        StoreConfig store = Databases.config("sqlite");
        store.path = dir.resolve("old.db").toString();
        try (Connection c = Databases.connect(store); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE new_mail (mail_id INTEGER PRIMARY KEY, date TEXT, \"from\" TEXT, \"to\" TEXT)");
        }
        try (Daemon d = new Daemon(config(store))) {
            assertThatThrownBy(d::start).isInstanceOf(StoreException.class)
                    .hasMessageContaining("column new_mail.subject")
                    .hasMessageContaining("column new_mail.is_tls")
                    .hasMessageContaining("guerrillad init-db")
                    .message().doesNotContain("column new_mail.to");
        }
    }

    @NeedsServices
    @Test
    void incompleteMariadbSchemaStopsTheStartNamingWhatIsMissing() throws Exception {
        StoreConfig store = Databases.config("mysql");
        Databases.require("MariaDB", 3306);
        try (Connection c = Databases.connect(store); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE IF NOT EXISTS guerrilla_test_schema");
            st.execute("DROP TABLE IF EXISTS guerrilla_test_schema.new_mail, guerrilla_test_schema.gm2_setting");
            st.execute("CREATE TABLE guerrilla_test_schema.new_mail (mail_id int PRIMARY KEY, date datetime, `from` text)");
        }
        store.database = "guerrilla_test_schema";
        try (Daemon d = new Daemon(config(store))) {
            assertThatThrownBy(d::start).isInstanceOf(StoreException.class)
                    .hasMessageContaining("missing: ")
                    .hasMessageContaining("column new_mail.to,")
                    .hasMessageContaining("table gm2_setting");
        }
        try (SqlStore s = new SqlStore(store)) {
            s.createSchema();
        }
        try (Connection c = Databases.connect(store); Statement st = c.createStatement()) {
            st.execute("DROP TABLE new_mail");
        }
        try (SqlStore s = new SqlStore(store)) {
            s.createSchema();
            s.open();
            assertThat(s.isHealthy()).as("init-db completed the schema").isTrue();
        }
    }

    @Test
    void unreachableDatabaseAtStartServesButAnswers451(@TempDir Path dir) throws Exception {
        StoreConfig store = Databases.config("postgres");
        store.port = PrivateService.freePort();
        store.connectTimeoutMs = 500;
        try (TestServer server = TestServer.start(c -> c.store = store); SmtpClient c = new SmtpClient(server.port())) {
            assertThat(server.daemon().isHealthy()).isFalse();
            c.reply();
            c.command("EHLO avail.test");
            assertThat(send(c, "nowhere")).isEqualTo("451 4.3.0 Error: message not stored, try again later");
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
    }

    @NeedsServices
    @Test
    void databaseDownAtStartIsCheckedWhenItComesUpAndInitDbUpgradesTheSeedTable(@TempDir Path dir) throws Exception {
        try (PrivateService mariadb = PrivateService.mariadb(dir)) {
            try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + mariadb.port + "/mysql", "root", "");
                 Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE guerrilla");
                // The PHP original's table, as its README creates it: without go-guerrilla's columns.
                st.execute("CREATE TABLE guerrilla.new_mail ( mail_id int(11) NOT NULL auto_increment, date datetime NOT NULL,"
                        + " `from` varchar(128) character set utf8 NOT NULL, `to` varchar(128) character set utf8 NOT NULL,"
                        + " subject varchar(255) character set utf8 NOT NULL, body text NOT NULL,"
                        + " charset varchar(32) character set utf8 NOT NULL, mail longblob NOT NULL, spam_score float NOT NULL,"
                        + " hash char(32) character set latin1 NOT NULL, content_type varchar(64) character set latin1 NOT NULL,"
                        + " recipient varchar(128) character set latin1 NOT NULL, has_attach int(11) NOT NULL,"
                        + " ip_addr varchar(64) NOT NULL, PRIMARY KEY (mail_id), KEY `to` (`to`), KEY hash (hash), KEY date (date)"
                        + " ) ENGINE=InnoDB DEFAULT CHARSET=utf8");
            }
            mariadb.stop();
            StoreConfig store = Databases.config("mysql");
            store.port = mariadb.port;
            store.database = "guerrilla";
            store.connectTimeoutMs = 500;
            try (TestServer server = TestServer.start(c -> c.store = store); SmtpClient c = new SmtpClient(server.port())) {
                c.reply();
                c.command("EHLO late.test");
                assertThat(send(c, "down")).startsWith("451 4.3.0");

                mariadb.start();
                Thread.sleep(2 * SqlStore.PROBE_INTERVAL_MS + store.connectTimeoutMs);
                assertThat(send(c, "incomplete")).as("reachable, but the schema is incomplete").startsWith("451 4.3.0");
                assertThat(server.daemon().isHealthy()).isFalse();

                try (SqlStore initDb = new SqlStore(store)) {
                    initDb.createSchema();
                }
                String reply = "";
                for (int i = 0; i < 50 && !reply.startsWith("250"); i++) {
                    Thread.sleep(100);
                    reply = send(c, "complete");
                }
                assertThat(reply).as("stores once init-db completed the schema").startsWith("250 2.0.0");
                assertThat(server.daemon().isHealthy()).isTrue();
                assertThat(server.rows()).singleElement().satisfies(r -> {
                    assertThat(r.get("subject")).isEqualTo("complete");
                    assertThat(r.get("return_path")).isEqualTo("a@avail.test");
                });
            }
        }
    }

    @NeedsServices
    @Test
    void redisOutageAnswers451WithoutRowsAndRecovers(@TempDir Path dir) throws Exception {
        try (PrivateService redis = PrivateService.redis(dir)) {
            try (TestServer server = TestServer.start(c -> {
                c.store.saveProcess = "HeadersParser|Header|Hasher|Compressor|Redis|SQL";
                c.store.redis.port = redis.port;
                c.store.redis.timeoutMs = 500;
            }); SmtpClient c = new SmtpClient(server.port())) {
                c.reply();
                c.command("EHLO avail.test");
                assertThat(send(c, "before")).startsWith("250 2.0.0");

                redis.stop();
                assertThat(send(c, "during")).isEqualTo("451 4.3.0 Error: message not stored, try again later");
                assertThat(server.daemon().isHealthy()).isFalse();

                redis.start();
                String after = "";
                for (int i = 0; i < 50 && !after.startsWith("250"); i++) {
                    after = send(c, "after");
                    if (!after.startsWith("250")) {
                        Thread.sleep(200);
                    }
                }
                assertThat(after).as("recovered once Redis is back").startsWith("250 2.0.0");
                assertThat(server.daemon().isHealthy()).isTrue();
                assertThat(server.rows()).extracting(r -> r.get("subject")).containsExactly("before", "after");
                assertThat(server.rows()).extracting(r -> r.get("body")).containsOnly("redis");
            }
        }
    }

    @NeedsServices
    @Test
    void memcachedOutageAnswers451WithoutRowsAndRecovers(@TempDir Path dir) throws Exception {
        try (PrivateService memcached = PrivateService.memcached(dir)) {
            try (TestServer server = TestServer.start(c -> {
                c.store.saveProcess = "HeadersParser|Header|Hasher|Memcached|SQL";
                c.store.memcached.port = memcached.port;
                c.store.memcached.timeoutMs = 500;
            }); SmtpClient c = new SmtpClient(server.port())) {
                c.reply();
                c.command("EHLO avail.test");
                assertThat(send(c, "before")).startsWith("250 2.0.0");

                memcached.stop();
                assertThat(send(c, "during")).isEqualTo("451 4.3.0 Error: message not stored, try again later");
                assertThat(server.daemon().isHealthy()).isFalse();

                memcached.start();
                String after = "";
                for (int i = 0; i < 100 && !after.startsWith("250"); i++) {
                    after = send(c, "after");
                    if (!after.startsWith("250")) {
                        Thread.sleep(200);
                    }
                }
                assertThat(after).as("recovered once Memcached is back").startsWith("250 2.0.0");
                assertThat(server.rows()).extracting(r -> r.get("subject")).containsExactly("before", "after");
                assertThat(server.receivedCounter()).isEqualTo(2);
            }
        }
    }
}
