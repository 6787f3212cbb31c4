package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.config.LocalHost;
import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Requirements;
import io.guerrilla.smtpd.support.ServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's promise, end to end: the packaged jar started by {@code bin/guerrillad serve} with
 * no config file listens on 127.0.0.1:2525, accepts swaks' mail for localhost and the hostname,
 * stores it in ./data/guerrilla.db, and {@code guerrillad mail list} shows it.
 */
class LauncherIT {
    private static final int DEFAULT_PORT = 2525;

    @Test
    void defaultServeStoresSwaksMail(@TempDir Path dir) throws Exception {
        String swaks = Requirements.tool("swaks");
        try (ServerProcess server = ServerProcess.start(dir, DEFAULT_PORT, "serve")) {
            String out = Commands.run(List.of(swaks, "--server", "127.0.0.1:" + DEFAULT_PORT,
                    "--to", "someone@localhost", "--from", "it@client.test", "--header", "Subject: launcher it"));
            assertThat(out).contains("<-  250 2.0.0 Ok: queued as");
            String toHost = Commands.run(List.of(swaks, "--server", "127.0.0.1:" + DEFAULT_PORT,
                    "--to", "other@" + LocalHost.name(), "--header", "Subject: to hostname"));
            assertThat(toHost).contains("<-  250 2.0.0 Ok: queued as");
            Commands.Result denied = Commands.exec(List.of(swaks, "--server", "127.0.0.1:" + DEFAULT_PORT,
                    "--to", "x@not-here.test"));
            assertThat(denied.output()).contains("<** 550 5.7.1");

            Path db = dir.resolve("data/guerrilla.db");
            assertThat(db).exists();
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                 Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select * from new_mail where subject = 'launcher it'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString("to")).isEqualTo("someone@localhost");
                assertThat(rs.getString("from")).isEqualTo("it@client.test");
                assertThat(rs.getString("return_path")).isEqualTo("it@client.test");
                assertThat(rs.getString("ip_addr")).isEqualTo("127.0.0.1");
                assertThat(rs.getString("hash")).matches("[0-9a-f]{32}");
                assertThat(rs.getString("body")).isEqualTo("raw");
                assertThat(new String(rs.getBytes("mail"), StandardCharsets.UTF_8))
                        .startsWith("Delivered-To: someone@localhost\r\nReceived: from ");
                assertThat(rs.next()).isFalse();
            }

            String list = Commands.run(List.of(ServerProcess.launcher().toString(), "mail", "list",
                    "--db", db.toString()));
            assertThat(list).contains("someone@localhost", "launcher it");

            server.signal("TERM");
            assertThat(server.waitForExit(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void badConfigExitsTwoBeforeListening(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "max_clients: 0\n");
        Commands.Result r = Commands.exec(List.of(ServerProcess.launcher().toString(), "serve", "-c", cfg.toString()));
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.output()).contains("max_clients");
    }
}
