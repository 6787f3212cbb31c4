package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.config.Compression;
import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.store.SqlStore;
import io.guerrilla.smtpd.support.ConfigFiles;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.NeedsServices;
import io.guerrilla.smtpd.support.PrivateService;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/** The store side of the CLI: store keys checked, init-db creating the schema, serve refusing an incomplete one, mail list reading any store. */
class StoreCommandsTest {

    @Test
    void badStoreKeysAreNamedWithExit2(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, """
                store:
                  type: oracle
                  save_process: "HeadersParser|Zipper|SQL"
                  compress: lz4
                  validate_process: "Redis|SQL"
                  connect_timeout_ms: 10
                  redis: { port: 0 }
                """);
        CliTest.Result r = CliTest.run("check-config", "-c", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("store.type: unknown value \"oracle\" (known: sqlite, mysql, mariadb, postgres, postgresql)",
                "store.save_process: unknown processor \"Zipper\"", "store.compress: unknown value \"lz4\" (known: zlib, gzip)",
                "store.validate_process: Redis does not check recipients",
                "store.validate_process: SQL needs validate_sql", "store.connect_timeout_ms: must be at least 250",
                "store.redis.port: must be 1..65535");
    }

    @Test
    void pipelineOrderIsChecked(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, "store:\n  save_process: \"sql|Compressor|Redis\"\n");
        CliTest.Result r = CliTest.run("check-config", "-c", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("must end with SQL", "Compressor after SQL", "Hasher must come before them");
    }

    @Test
    void serveExits1OnAnIncompleteSchema(@TempDir Path dir) throws Exception {
        StoreConfig store = Databases.config("sqlite");
        store.path = dir.resolve("old.db").toString();
        try (Connection c = Databases.connect(store); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE gm2_setting (id INTEGER PRIMARY KEY)");
        }
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, ConfigFiles.yaml(PrivateService.freePort(), store));
        assertThat(CliTest.run("serve", "-c", cfg.toString()).code()).isEqualTo(Main.EXIT_RUNTIME);
    }

    @NeedsServices
    @ParameterizedTest
    @ValueSource(strings = {"mysql", "postgres"})
    void initDbCreatesTheSchemaAndMailListReadsIt(String type, @TempDir Path dir) throws Exception {
        StoreConfig store = Databases.config(type);
        Databases.require(type, "mysql".equals(type) ? 3306 : 5432);
        try (Connection c = Databases.connect(store); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS new_mail");
        }
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, ConfigFiles.yaml(PrivateService.freePort(), store));
        CliTest.Result init = CliTest.run("init-db", "-c", cfg.toString());
        assertThat(init.code()).as(init.err()).isZero();
        assertThat(init.out()).contains("schema ready in " + type);
        try (SqlStore s = new SqlStore(store)) {
            s.open();
            assertThat(s.isHealthy()).isTrue();
        }

        try (TestServer server = TestServer.start(c -> c.store = store); SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO cli.test");
            c.command("MAIL FROM:<a@cli.test>");
            c.command("RCPT TO:<listed@example.com>");
            c.command("DATA");
            c.send("From: a@cli.test\r\nSubject: listed via " + type + "\r\n\r\nhi\r\n.\r\n");
            assertThat(c.reply()).startsWith("250");
        }
        CliTest.Result list = CliTest.run("mail", "list", "-c", cfg.toString(), "--to", "LISTED@example.com");
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out()).contains("listed@example.com", "listed via " + type);
        String id = list.out().lines().skip(1).findFirst().orElseThrow().split("\\s+")[0];
        CliTest.Result show = CliTest.run("mail", "show", id, "--raw", "-c", cfg.toString());
        assertThat(show.out()).startsWith("Delivered-To: listed@example.com\r\n").contains("Subject: listed via " + type);
    }

    @NeedsServices
    @ParameterizedTest
    @ValueSource(strings = {"Compressor", "Redis"})
    void mailShowOpensCompressedBodiesAndPointsAtKeyValueOnes(String where, @TempDir Path dir) throws Exception {
        if ("Redis".equals(where)) {
            Databases.require("Redis", 6379);
        }
        StoreConfig store = Databases.config("sqlite");
        store.path = dir.resolve("show.db").toString();
        store.saveProcess = "HeadersParser|Header|Hasher|" + where + "|SQL";
        store.compress = Compression.GZIP;
        try (TestServer server = TestServer.start(c -> c.store = store); SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO cli.test");
            c.command("MAIL FROM:<a@cli.test>");
            c.command("RCPT TO:<shown@example.com>");
            c.command("DATA");
            c.send("Subject: shown\r\n\r\nhi\r\n.\r\n");
            assertThat(c.reply()).startsWith("250");
        }
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, ConfigFiles.yaml(PrivateService.freePort(), store));
        CliTest.Result show = CliTest.run("mail", "show", "1", "--raw", "-c", cfg.toString());
        assertThat(show.code()).as(show.err()).isZero();
        if ("Redis".equals(where)) {
            assertThat(show.out()).matches("\\(the message is in redis under key [0-9a-f]{32}\\)\\R");
        } else {
            assertThat(show.out()).startsWith("Delivered-To: shown@example.com\r\n").endsWith("Subject: shown\r\n\r\nhi\r\n");
        }
    }
}
