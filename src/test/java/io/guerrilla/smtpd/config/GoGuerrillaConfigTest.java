package io.guerrilla.smtpd.config;

import io.guerrilla.smtpd.support.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** go-guerrilla's goguerrilla.conf, in the shape of its goguerrilla.conf.sample, read as our config. */
class GoGuerrillaConfigTest {
    static final String SAMPLE = """
            {
                "log_file" : "stderr",
                "log_level" : "info",
                "allowed_hosts": ["guerrillamail.com", "sharklasers.com"],
                "pid_file" : "/var/run/go-guerrilla.pid",
                "backend_config": {
                    "log_received_mails": true,
                    "save_workers_size": 1,
                    "save_process" : "HeadersParser|Header|Debugger",
                    "primary_mail_host" : "mail.example.com",
                    "gw_save_timeout" : "30s",
                    "gw_val_rcpt_timeout" : "3s",
                    "sql_driver": "sqlite3",
                    "sql_dsn": "file:/var/lib/mail.db?cache=shared"
                },
                "servers" : [
                    {
                        "is_enabled" : true,
                        "host_name":"mail.test.com",
                        "max_size": 1000000,
                        "timeout":180,
                        "listen_interface":"127.0.0.1:25",
                        "max_clients": 1000,
                        "log_file" : "stderr",
                        "tls" : {
                            "start_tls_on":true,
                            "tls_always_on":false,
                            "private_key_file":"KEY",
                            "public_key_file":"CERT",
                            "protocols" : ["tls1.0", "tls1.3"],
                            "curves": ["P256"]
                        }
                    },
                    {
                        "is_enabled" : false,
                        "host_name":"mail.test.com",
                        "listen_interface":"127.0.0.1:465",
                        "tls" : { "tls_always_on": true }
                    },
                    {
                        "is_enabled" : true,
                        "host_name":"smtps.test.com",
                        "listen_interface":"127.0.0.1:4650",
                        "tls" : { "tls_always_on": true, "private_key_file":"KEY", "public_key_file":"CERT" }
                    }
                ]
            }
            """;

    @Test
    void sampleMapsOntoTheSameSettings(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("goguerrilla.conf.json");
        Files.writeString(f, SAMPLE.replace("KEY", TestCertificates.keyFile()).replace("CERT", TestCertificates.certFile()));
        GuerrillaConfig c = ConfigLoader.load(f);

        assertThat(c.logFile).isEqualTo("stderr");
        assertThat(c.pidFile).isEqualTo("/var/run/go-guerrilla.pid");
        assertThat(c.store.type).isEqualTo(StoreType.SQLITE);
        assertThat(c.store.path).isEqualTo("/var/lib/mail.db");
        assertThat(c.store.timeout).isEqualTo(30);
        List<ListenerConfig> listeners = c.listeners();
        assertThat(listeners).hasSize(2);
        ListenerConfig l = listeners.get(0);
        assertThat(l.tls.startTls).isTrue();
        assertThat(l.tls.implicit).isFalse();
        assertThat(l.tls.certFile).isEqualTo(TestCertificates.certFile());
        assertThat(l.tls.keyFile).isEqualTo(TestCertificates.keyFile());
        assertThat(l.tls.protocols).containsExactly("TLSv1.3");
        assertThat(listeners.get(1).tls.implicit).isTrue();
        assertThat(listeners.get(1).listenInterface).isEqualTo("127.0.0.1:4650");
        assertThat(l.listenInterface).isEqualTo("127.0.0.1:25");
        assertThat(l.hostName).isEqualTo("mail.test.com");
        assertThat(l.maxSize).isEqualTo(1_000_000);
        assertThat(l.timeout).isEqualTo(180);
        assertThat(l.maxClients).isEqualTo(1000);
        assertThat(l.allowedHosts).containsExactly("guerrillamail.com", "sharklasers.com");

        assertThat(c.store.saveProcess).isEqualTo("HeadersParser|Header|Debugger|SQL");
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("backend_config.save_process: \"HeadersParser|Header|Debugger\" has no SQL")
                .contains("rows go to the SQLite file /var/lib/mail.db"));
        assertThat(c.store.poolSize).as("save_workers_size").isEqualTo(1);
        assertThat(c.store.validateTimeoutMs).as("gw_val_rcpt_timeout").isEqualTo(3000);
        assertThat(c.store.debuggerLogReceivedMails).as("log_received_mails").isTrue();
        assertThat(c.hostName).as("primary_mail_host").isEqualTo("mail.example.com");
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("servers[0].log_file"));
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("servers[0].tls.protocols: \"tls1.0\""));
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("servers[0].tls.curves"));
        assertThat(c.warnings).noneSatisfy(w -> assertThat(w).contains("start_tls_on"));
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("servers[1]: is_enabled is false"));
        assertThat(c.warnings).noneSatisfy(w -> assertThat(w).contains("max_size"));
        assertThat(c.retention.enabled()).as("go-guerrilla never deleted mail: no retention after migrating").isFalse();
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("retention: off"));
    }

    @Test
    void detectedByContentWithoutJsonExtension(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("goguerrilla.conf");
        Files.writeString(f, """
                {"allowed_hosts": ["a.test"], "servers": [{"listen_interface": "127.0.0.1:2600"}], "fancy": 1}
                """);
        GuerrillaConfig c = ConfigLoader.load(f);
        assertThat(c.listeners().get(0).listenInterface).isEqualTo("127.0.0.1:2600");
        assertThat(c.warnings).contains(f + ": fancy: no equivalent, ignored");
    }

    @Test
    void badValuesAreNamedByTheirGoGuerrillaKey(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("g.json");
        Files.writeString(f, """
                {"allowed_hosts": ["a.test"], "servers": [{"listen_interface": "127.0.0.1:2600", "max_size": "big"}]}
                """);
        assertThatThrownBy(() -> ConfigLoader.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("servers[0].max_size");
        Files.writeString(f, """
                {"allowed_hosts": [], "servers": [{"listen_interface": "127.0.0.1:2600", "max_clients": 0}]}
                """);
        assertThatThrownBy(() -> ConfigLoader.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("servers[0].allowed_hosts").hasMessageContaining("servers[0].max_clients");
        Files.writeString(f, "{\"servers\": [{\"is_enabled\": false}]}");
        assertThatThrownBy(() -> ConfigLoader.load(f)).hasMessageContaining("servers: no enabled server");
        Files.writeString(f, "{\"servers\": [");
        assertThatThrownBy(() -> ConfigLoader.load(f)).hasMessageContaining("not valid JSON");
    }

    @Test
    void mysqlAndRedisMapOntoTheStore(@TempDir Path dir) throws Exception {
        GuerrillaConfig c = load(dir, """
                {"allowed_hosts": ["a.test"],
                 "backend_config": {
                   "save_process": "HeadersParser|Header|Hasher|Compressor|Redis|SQL",
                   "validate_process": "Debugger|SQL",
                   "save_workers_size": 3, "sql_max_open_conns": 6, "sql_max_idle_conns": 9,
                   "gw_save_timeout": "1500ms", "gw_val_rcpt_timeout": "2s",
                   "sql_driver": "mysql",
                   "sql_dsn": "gg:p@ss:w@rd@tcp([::1]:3307)/mail?timeout=4s&tls=false&parseTime=true&readTimeout=10s",
                   "mail_table": "new_mail",
                   "redis_interface": "redis.internal:6380", "redis_expire_seconds": 600},
                 "servers": [{"listen_interface": "127.0.0.1:2600", "xclient_on": true}]}
                """);
        StoreConfig s = c.store;
        assertThat(s.type).isEqualTo(StoreType.MYSQL);
        assertThat(List.of(s.host, s.port, s.database, s.user, s.password))
                .containsExactly("::1", 3307, "mail", "gg", "p@ss:w@rd");
        assertThat(s.connectTimeoutMs).isEqualTo(4000);
        assertThat(s.poolSize).as("sql_max_open_conns wins over save_workers_size").isEqualTo(6);
        assertThat(s.poolMinIdle).as("capped at the pool size").isEqualTo(6);
        assertThat(s.timeout).isEqualTo(2);
        assertThat(s.validateTimeoutMs).isEqualTo(2000);
        assertThat(s.saveProcess).isEqualTo("HeadersParser|Header|Hasher|Compressor|Redis|SQL");
        assertThat(s.validateProcess).isEqualTo("Debugger");
        assertThat(s.redis.host).isEqualTo("redis.internal");
        assertThat(s.redis.port).isEqualTo(6380);
        assertThat(s.redis.ttl).isEqualTo(600);
        assertThat(c.listeners().get(0).xclientTrusted).containsExactly("127.0.0.0/8", "::1/128");
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("validate_process: go-guerrilla's SQL check"));
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("readTimeout has no equivalent"));
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("servers[0].xclient_on: XCLIENT is accepted from loopback only"));
        assertThat(c.warnings).noneSatisfy(w -> assertThat(w).contains("sql_dsn: parameter"));
    }

    @Test
    void guerrillaDbRedisOfGoGuerrilla1MapsItsMysqlKeys(@TempDir Path dir) throws Exception {
        GuerrillaConfig c = load(dir, """
                {"allowed_hosts": ["a.test"], "backend_name": "guerrilla-db-redis",
                 "backend_config": {"mysql_db": "gmail_mail", "mysql_host": "db.internal:3306", "mysql_pass": "pw",
                   "mysql_user": "gmail_mail", "mail_table": "new_mail", "redis_interface": "127.0.0.1:6379",
                   "redis_expire_seconds": 7200, "save_workers_size": 3, "primary_mail_host": "sharklasers.com"},
                 "servers": [{"listen_interface": "127.0.0.1:2600"}]}
                """);
        assertThat(List.of(c.store.type.configName(), c.store.host, c.store.port, c.store.database, c.store.user, c.store.password))
                .containsExactly("mysql", "db.internal", 3306, "gmail_mail", "gmail_mail", "pw");
        assertThat(c.store.saveProcess).isEqualTo("Hasher|Compressor|Redis|SQL");
        assertThat(c.store.redis.ttl).isEqualTo(7200);
    }

    @Test
    void storageThatCannotBeHonouredIsAnErrorCarryingTheWarnings(@TempDir Path dir) throws Exception {
        String base = """
                {"allowed_hosts": ["a.test"], "unheard_of": 1, "backend_config": {BACKEND},
                 "servers": [{"listen_interface": "127.0.0.1:2600"}]}
                """;
        Map<String, String> backendToError = new LinkedHashMap<>();
        backendToError.put("\"sql_driver\": \"mysql\", \"sql_dsn\": \"u:p@tcp(db:3306)/m\", \"mail_table\": \"inbox\"",
                "backend_config.mail_table: \"inbox\"");
        backendToError.put("\"sql_driver\": \"mysql\", \"sql_dsn\": \"u:p@tcp(db:3306)/m\", \"sql_insert\": \"INSERT INTO x\"",
                "backend_config.sql_insert: a custom INSERT cannot be honoured");
        backendToError.put("\"sql_driver\": \"postgres\", \"sql_dsn\": \"postgres://u@h/db\"", "backend_config.sql_driver: \"postgres\"");
        backendToError.put("\"sql_driver\": \"mssql\", \"sql_dsn\": \"x\"", "backend_config.sql_driver: \"mssql\" has no equivalent");
        backendToError.put("\"sql_driver\": \"mysql\"", "backend_config.sql_dsn: missing");
        backendToError.put("\"sql_dsn\": \"u:p@tcp(db:3306)/m\"", "backend_config.sql_dsn: no sql_driver");
        backendToError.put("\"sql_driver\": \"mysql\", \"sql_dsn\": \"u:p@unix(/run/mysqld.sock)/m\"",
                "protocol \"unix\" is not supported here");
        backendToError.put("\"sql_driver\": \"mysql\", \"sql_dsn\": \"u:p@tcp(db:3306)/m?tls=true\"", "tls=true");
        backendToError.put("\"sql_driver\": \"mysql\", \"sql_dsn\": \"u:p@tcp(db:3306)\"", "no /dbname");
        backendToError.put("\"save_process\": \"HeadersParser|Hasher|Redis\"", "keeps message bodies in Redis only");
        backendToError.put("\"save_process\": \"HeadersParser|S3|SQL\"", "save_process: S3 has no equivalent here");
        backendToError.put("\"validate_process\": \"LdapCheck\"", "validate_process: LdapCheck has no equivalent");
        backendToError.put("\"stream_save_process\": \"Header|compress|ChunkSaver\"", "stream_save_process");
        backendToError.put("\"redis_interface\": \"nowhere\"", "backend_config.redis_interface");
        backendToError.put("\"gw_save_timeout\": \"soon\"", "gw_save_timeout: \"soon\" is not a duration");
        for (Map.Entry<String, String> e : backendToError.entrySet()) {
            Path f = dir.resolve("g.json");
            Files.writeString(f, base.replace("BACKEND", e.getKey()));
            assertThatThrownBy(() -> ConfigLoader.load(f)).as(e.getKey()).isInstanceOf(ConfigException.class)
                    .hasMessageContaining(e.getValue())
                    .satisfies(t -> assertThat(((ConfigException) t).warnings())
                            .anySatisfy(w -> assertThat(w).contains("unheard_of: no equivalent")));
        }
    }

    @Test
    void goDsnParsesAsTheGoDriverDoes() {
        assertThat(GoSqlDsn.parseMysql("/db")).isEqualTo(new GoSqlDsn("", "", "tcp", "127.0.0.1", 3306, "db", Map.of()));
        assertThat(GoSqlDsn.parseMysql("u@tcp(h)/db")).isEqualTo(new GoSqlDsn("u", "", "tcp", "h", 3306, "db", Map.of()));
        assertThat(GoSqlDsn.parseMysql("u:a:b@c@tcp(10.0.0.1:3310)/d?x=%2F"))
                .isEqualTo(new GoSqlDsn("u", "a:b@c", "tcp", "10.0.0.1", 3310, "d", Map.of("x", "/")));
        assertThat(GoSqlDsn.parseMysql("u:p@/d").host()).isEqualTo("127.0.0.1");
        assertThatThrownBy(() -> GoSqlDsn.parseMysql("u:p@tcp(h:99999)/d")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> GoSqlDsn.parseMysql("u:p@tcp(h:3306/d")).hasMessageContaining("closing parenthesis");
        assertThatThrownBy(() -> GoSqlDsn.parseMysql("u:p@tcp([::1:3306)/d")).hasMessageContaining("closing ]");
    }

    private static GuerrillaConfig load(Path dir, String json) throws Exception {
        Path f = dir.resolve("g.json");
        Files.writeString(f, json);
        return ConfigLoader.load(f);
    }
}
