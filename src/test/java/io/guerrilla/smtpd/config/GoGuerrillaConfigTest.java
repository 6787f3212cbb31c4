package io.guerrilla.smtpd.config;

import io.guerrilla.smtpd.support.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
        assertThat(c.store.type).isEqualTo("sqlite");
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

        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("backend_config.save_process: no equivalent"));
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("backend_config.save_workers_size"));
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("servers[0].log_file"));
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("servers[0].tls.protocols: \"tls1.0\""));
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("servers[0].tls.curves"));
        assertThat(c.warnings).noneSatisfy(w -> assertThat(w).contains("start_tls_on"));
        assertThat(c.warnings).anySatisfy(w -> assertThat(w).contains("servers[1]: is_enabled is false"));
        assertThat(c.warnings).noneSatisfy(w -> assertThat(w).contains("max_size"));
    }

    @Test
    void detectedByContentWithoutJsonExtension(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("goguerrilla.conf");
        Files.writeString(f, """
                {"allowed_hosts": ["a.test"], "servers": [{"listen_interface": "127.0.0.1:2600"}], "fancy": 1}
                """);
        GuerrillaConfig c = ConfigLoader.load(f);
        assertThat(c.listeners().get(0).listenInterface).isEqualTo("127.0.0.1:2600");
        assertThat(c.warnings).containsExactly(f + ": fancy: no equivalent, ignored");
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
}
