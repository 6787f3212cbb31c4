package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.ServerProcess;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestCertificates;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.InflaterInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A go-guerrilla user switching with their config unchanged, through the packaged launcher: the
 * project's own sample, and a production one (MySQL table made by go-guerrilla's README DDL, bodies
 * in Redis), whose mail must land in the same table, columns and Redis keys, with the same TTL.
 */
class GoGuerrillaMigrationIT {
    /** The new_mail table as go-guerrilla's README tells its users to create it. */
    private static final String GO_GUERRILLA_DDL = """
            CREATE TABLE IF NOT EXISTS `new_mail` (
              `mail_id` BIGINT(20) unsigned NOT NULL AUTO_INCREMENT,
              `date` datetime NOT NULL,
              `from` varchar(128) character set latin1 NOT NULL,
              `to` varchar(128) character set latin1 NOT NULL,
              `subject` varchar(255) NOT NULL,
              `body` text NOT NULL,
              `charset` varchar(32) character set latin1 NOT NULL,
              `mail` longblob NOT NULL,
              `spam_score` float NOT NULL,
              `hash` char(32) character set latin1 NOT NULL,
              `content_type` varchar(64) character set latin1 NOT NULL,
              `recipient` varchar(128) character set latin1 NOT NULL,
              `has_attach` int(11) NOT NULL,
              `ip_addr` varchar(15) NOT NULL,
              `return_path` VARCHAR(255) NOT NULL,
              `is_tls` BIT(1) DEFAULT b'0' NOT NULL,
              PRIMARY KEY  (`mail_id`),
              KEY `to` (`to`),
              KEY `hash` (`hash`),
              KEY `date` (`date`)
            ) ENGINE=InnoDB  DEFAULT CHARSET=utf8""";
    private static final int REDIS_TTL = 7200;

    @Test
    void theProjectsOwnSampleSaysWhereMailGoes(@TempDir Path dir) throws Exception {
        String sample = Files.readString(Path.of("src/test/resources/goguerrilla/goguerrilla.conf.sample"))
                .replace("/path/to/pem/file/test.com.key", TestCertificates.keyFile())
                .replace("/path/to/pem/file/test.com.crt", TestCertificates.certFile())
                .replace("127.0.0.1:25\"", "127.0.0.1:" + Ports.free() + "\"")
                .replace("127.0.0.1:465\"", "127.0.0.1:" + Ports.free() + "\"")
                .replace("/var/run/go-guerrilla.pid", dir.resolve("gg.pid").toString());
        Path cfg = dir.resolve("goguerrilla.conf");
        Files.writeString(cfg, sample);
        Commands.Result r = guerrillad("check-config", "-c", cfg.toString());
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("config ok",
                "backend_config.save_process: \"Debugger\" has no SQL, so go-guerrilla stored no message",
                "rows go to the SQLite file ./data/guerrilla.db", "dashboard: no equivalent");
    }

    @Test
    void mysqlAndRedisConfigStoresWhereGoGuerrillaDid(@TempDir Path dir) throws Exception {
        Databases.require("mariadb", 3306);
        Databases.require("redis", 6379);
        String db = "guerrilla_test_gg" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:3306/", "guerrilla", "guerrilla");
             Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + db);
            st.execute("USE " + db);
            st.execute(GO_GUERRILLA_DDL);
        }
        try {
            int port = Ports.free();
            Path cfg = dir.resolve("goguerrilla.conf");
            Files.writeString(cfg, productionConfig(db, port));

            Commands.Result checked = guerrillad("check-config", "-c", cfg.toString());
            assertThat(checked.exitCode()).as(checked.output()).isZero();
            assertThat(checked.output()).contains("store: mysql database " + db + " on 127.0.0.1:3306 as guerrilla"
                    + " was not contacted (add --connect to check it)", "store.redis: redis at 127.0.0.1:6379 was not contacted");
            assertThat(checked.output()).doesNotContain("SQLite");

            // go-guerrilla's table lacks the columns its later SQL processor and this server write, and gm2_setting.
            Commands.Result init = guerrillad("init-db", "-c", cfg.toString());
            assertThat(init.exitCode()).as(init.output()).isZero();
            Commands.Result connected = guerrillad("check-config", "--connect", "-c", cfg.toString());
            assertThat(connected.exitCode()).as(connected.output()).isZero();
            assertThat(connected.output()).contains("reached, new_mail readable", "PING answered PONG");

            String subject = "migrated " + UUID.randomUUID();
            try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString())) {
                assertThat(SmtpClient.deliver(port, "alice@sender.example", "bob@guerrillamail.test", subject))
                        .startsWith("250 ");
                assertThat(Files.exists(dir.resolve("data"))).as("no local SQLite store was made").isFalse();
                assertThat(server.logText()).doesNotContain("SQLite");
            }

            Map<String, Object> row = new HashMap<>();
            try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:3306/" + db, "guerrilla", "guerrilla");
                 PreparedStatement ps = c.prepareStatement("SELECT * FROM new_mail WHERE subject = ?")) {
                ps.setString(1, subject);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).as("the row is in go-guerrilla's own table").isTrue();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                    }
                    assertThat(rs.next()).isFalse();
                }
            }
            // The columns go-guerrilla's SQL processor fills, filled the same way.
            assertThat(row.get("to")).isEqualTo("bob@guerrillamail.test");
            assertThat(row.get("recipient")).isEqualTo("bob@guerrillamail.test");
            assertThat(row.get("from")).isEqualTo("alice@sender.example");
            assertThat(row.get("return_path")).isEqualTo("alice@sender.example");
            assertThat(row.get("body")).as("body is in Redis, as go-guerrilla's Redis processor marks it").isEqualTo("redis");
            assertThat((byte[]) row.get("mail")).isEmpty();
            String hash = (String) row.get("hash");
            assertThat(hash).matches("[0-9a-f]{32}");
            assertThat(row.get("ip_addr").toString()).contains("127.0.0.1");

            RedisClient client = RedisClient.create("redis://127.0.0.1:6379");
            try (StatefulRedisConnection<String, byte[]> redis =
                         client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE))) {
                byte[] stored = redis.sync().get(hash);
                assertThat(stored).as("body under the row's hash, as go-guerrilla's SETEX hash").isNotNull();
                String message = new String(new InflaterInputStream(new ByteArrayInputStream(stored)).readAllBytes(),
                        StandardCharsets.UTF_8);
                assertThat(message).contains("Subject: " + subject, "Received: ");
                long ttl = redis.sync().ttl(hash);
                assertThat(ttl).as("redis_expire_seconds").isBetween(REDIS_TTL - 120L, (long) REDIS_TTL);
                redis.sync().del(hash);
            } finally {
                client.shutdown();
            }
        } finally {
            try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:3306/", "guerrilla", "guerrilla");
                 Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + db);
            }
        }
    }

    @Test
    void storageThatCannotBeHonouredExitsTwoAndKeepsTheWarnings(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("goguerrilla.conf");
        Files.writeString(cfg, productionConfig("guerrilla_test", Ports.free())
                .replace("\"mail_table\": \"new_mail\"", "\"mail_table\": \"inbox\""));
        Commands.Result r = guerrillad("check-config", "-c", cfg.toString());
        assertThat(r.exitCode()).as(r.output()).isEqualTo(2);
        assertThat(r.output()).contains("backend_config.mail_table: \"inbox\"", "warning: " + cfg + ": backend_config.some_new_key");
        assertThat(r.output()).doesNotContain("config ok");
    }

    /** A go-guerrilla 1.6 production config: MySQL rows, zlib bodies in Redis, XCLIENT from the local proxy. */
    static String productionConfig(String database, int port) {
        return """
                {
                  "log_file": "stderr",
                  "log_level": "info",
                  "allowed_hosts": ["guerrillamail.test"],
                  "backend_config": {
                    "save_process": "HeadersParser|Header|Hasher|Compressor|Redis|SQL",
                    "validate_process": "SQL",
                    "save_workers_size": 3,
                    "gw_save_timeout": "30s",
                    "gw_val_rcpt_timeout": "3s",
                    "log_received_mails": true,
                    "primary_mail_host": "mail.guerrillamail.test",
                    "sql_driver": "mysql",
                    "sql_dsn": "guerrilla:guerrilla@tcp(127.0.0.1:3306)/DB?readTimeout=10s&writeTimeout=10s&charset=utf8mb4&timeout=5s",
                    "mail_table": "new_mail",
                    "redis_interface": "127.0.0.1:6379",
                    "redis_expire_seconds": TTL,
                    "some_new_key": 1
                  },
                  "servers": [
                    {
                      "is_enabled": true,
                      "host_name": "mail.guerrillamail.test",
                      "listen_interface": "127.0.0.1:PORT",
                      "max_size": 1000000,
                      "timeout": 180,
                      "max_clients": 100,
                      "xclient_on": true
                    }
                  ]
                }
                """.replace("DB?", database + "?").replace("PORT", Integer.toString(port))
                .replace("TTL", Integer.toString(REDIS_TTL));
    }

    private static Commands.Result guerrillad(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(ServerProcess.launcher().toString()));
        cmd.addAll(List.of(args));
        return Commands.exec(cmd);
    }
}
