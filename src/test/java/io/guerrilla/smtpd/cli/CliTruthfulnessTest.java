package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.NeedsServices;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.Requirements;
import io.guerrilla.smtpd.support.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Each command says what is true: what it checked, what it did not, and only the options it uses. */
class CliTruthfulnessTest {

    @Test
    void versionNamesVersionJavaAndTransport() {
        CliTest.Result r = CliTest.run("version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("guerrillad ").contains("Java " + Runtime.version())
                .containsPattern("transport (epoll|nio)");
        assertThat(CliTest.run("--version").out()).isEqualTo(r.out());
    }

    @Test
    void listenerFlagsAreOfferedOnlyWhereTheyDoSomething() {
        for (List<String> cmd : List.of(List.of("mail", "list"), List.of("mail", "show", "1"), List.of("init-db"))) {
            for (String flag : List.of("--listen=127.0.0.1:2600", "--allowed-hosts=a.test")) {
                String[] args = new java.util.ArrayList<String>(cmd) {{ add(flag); }}.toArray(String[]::new);
                CliTest.Result r = CliTest.run(args);
                assertThat(r.code()).as("%s %s", cmd, flag).isEqualTo(2);
                assertThat(r.err()).as("%s %s", cmd, flag).contains("Unknown option");
            }
            String help = CliTest.run(new java.util.ArrayList<String>(cmd) {{ add("--help"); }}.toArray(String[]::new)).out();
            assertThat(help).contains("--config", "--db").doesNotContain("--listen").doesNotContain("--allowed-hosts");
        }
        assertThat(CliTest.run("serve", "--help").out()).contains("--listen", "--allowed-hosts");
        assertThat(CliTest.run("check-config", "--help").out()).contains("--listen", "--allowed-hosts", "--connect");
    }

    @Test
    void allowedHostsFlagIsValidatedAsTheFileIs(@TempDir Path dir) throws Exception {
        CliTest.Result r = CliTest.run("check-config", "--allowed-hosts", "a..com, bad host");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("allowed_hosts: \"a..com\" is not a domain", "allowed_hosts: \"bad host\" is not a domain");
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, "allowed_hosts: [\"a..com\", \"bad host\", \"*.ok.test\", \"[192.0.2.1]\", \"bücher.test\"]\n");
        CliTest.Result file = CliTest.run("check-config", "-c", cfg.toString());
        assertThat(file.code()).isEqualTo(2);
        assertThat(file.err()).contains("\"a..com\" is not a domain", "\"bad host\" is not a domain")
                .doesNotContain("ok.test\" is not").doesNotContain("192.0.2.1]\" is not").doesNotContain("bücher");
        assertThat(CliTest.run("check-config", "--allowed-hosts", "a.test,,b.test").err()).contains("allowed_hosts: empty entry");
        assertThat(CliTest.run("check-config", "--allowed-hosts", "a.test, *.b.test").code()).isZero();
    }

    @Test
    void unknownKeysAndBadValuesAreReportedInOnePass(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, """
                max_clients: 0
                alowed_hosts: [a.test]
                store:
                  pathh: x.db
                  batch_size: -1
                servers:
                  - listen_interface: 127.0.0.1:2600
                    tiemout: 5
                """);
        CliTest.Result r = CliTest.run("check-config", "-c", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("alowed_hosts: unknown key", "store.pathh: unknown key", "servers[0].tiemout: unknown key",
                "max_clients: must be greater than 0", "store.batch_size: must be greater than 0");
    }

    @Test
    void networkStoreIsNotContactedUnlessAsked(@TempDir Path dir) throws Exception {
        int closed = Ports.free();
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, "store:\n  type: mysql\n  port: " + closed + "\n  database: mail\n  user: u\n  password: s3cret\n"
                + "  connect_timeout_ms: 1000\n  save_process: HeadersParser|Hasher|Redis|SQL\n  redis:\n    host: 127.0.0.1\n    port: " + closed + "\n    timeout_ms: 1000\n");
        CliTest.Result r = CliTest.run("check-config", "-c", cfg.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("config ok",
                "store: mysql database mail on 127.0.0.1:" + closed + " as u was not contacted (add --connect to check it)",
                "store.redis: redis at 127.0.0.1:" + closed + " was not contacted");
        CliTest.Result connect = CliTest.run("check-config", "--connect", "-c", cfg.toString());
        assertThat(connect.code()).as(connect.err()).isEqualTo(1);
        assertThat(connect.err()).contains("guerrillad: store: mysql database mail", "guerrillad: store.redis: redis at");
        assertThat(connect.out() + connect.err()).doesNotContain("s3cret");
    }

    @Test
    @NeedsServices
    void connectReachesTheRealStores(@TempDir Path dir) throws Exception {
        Databases.require("mariadb", 3306);
        Databases.require("redis", 6379);
        Databases.requireWithSchema(Databases.config("mysql"));
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, "store:\n  type: mysql\n  database: " + Databases.NAME + "\n  user: guerrilla\n"
                + "  password: guerrilla\n  save_process: HeadersParser|Hasher|Redis|SQL\n");
        CliTest.Result r = CliTest.run("check-config", "--connect", "-c", cfg.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("store: mysql database " + Databases.NAME + " on 127.0.0.1:3306 as guerrilla: reached,"
                + " new_mail readable", "store.redis: redis at 127.0.0.1:6379: reached, PING answered PONG");
    }

    @Test
    void pkcs1KeySaysHowToConvertIt(@TempDir Path dir) throws Exception {
        String openssl = Requirements.tool("openssl");
        Path key = dir.resolve("rsa.key");
        Commands.run(List.of(openssl, "genrsa", "-traditional", "-out", key.toString(), "2048"));
        assertThat(Files.readString(key)).contains("BEGIN RSA PRIVATE KEY");
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, "tls:\n  start_tls: true\n  cert_file: " + TestCertificates.certFile() + "\n  key_file: " + key + "\n");
        CliTest.Result r = CliTest.run("check-config", "-c", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("tls.key_file: " + key + " is a PKCS#1 (\"BEGIN RSA PRIVATE KEY\") key",
                "openssl pkcs8 -topk8 -nocrypt -in " + key + " -out key.pk8.pem");
    }
}
