package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.ServerProcess;
import io.guerrilla.smtpd.support.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** SIGHUP sent with kill(1) to the packaged server: new settings apply, open connections are kept. */
class ReloadIT {

    /** The greeting of a new connection, retried while the server is still releasing a closed one. */
    private static String greetingWithin(int port, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            try (SmtpClient c = new SmtpClient(port)) {
                String greeting = c.reply();
                if (greeting.startsWith("220") || System.nanoTime() > deadline) {
                    return greeting;
                }
            }
            Thread.sleep(50);
        }
    }

    private static String config(int port, String hosts, String extra) {
        return "listen_interface: 127.0.0.1:" + port + "\n"
                + "host_name: mx.reload.test\n"
                + "allowed_hosts: [" + hosts + "]\n"
                + "store:\n  path: data/mail.db\n"
                + extra;
    }

    @Test
    void newlyAllowedDomainAcceptedWhileEarlierConnectionFinishes(@TempDir Path dir) throws Exception {
        int port = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, config(port, "old.test", ""));
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString());
             SmtpClient early = new SmtpClient(port)) {
            early.reply();
            early.command("EHLO early.test");
            assertThat(early.command("MAIL FROM:<a@early.test>")).startsWith("250");
            assertThat(early.command("RCPT TO:<x@old.test>")).startsWith("250");
            assertThat(SmtpClient.deliver(port, "a@b.test", "y@new.test", "before")).startsWith("550 5.7.1");

            Files.writeString(cfg, config(port, "old.test, new.test", ""));
            server.signal("HUP");
            server.awaitLog("config reloaded");

            assertThat(SmtpClient.deliver(port, "a@b.test", "y@new.test", "after reload")).startsWith("250 2.0.0");
            // The earlier session keeps the rules it connected under, and its transaction completes.
            assertThat(early.command("RCPT TO:<z@new.test>")).startsWith("550 5.7.1");
            assertThat(early.command("DATA")).startsWith("354");
            assertThat(early.command("Subject: early\r\n\r\nbody\r\n.")).startsWith("250 2.0.0");
            assertThat(early.command("QUIT")).startsWith("221");

            assertThat(recipients(dir.resolve("data/mail.db"))).containsExactlyInAnyOrder("y@new.test", "x@old.test");
        }
    }

    @Test
    void perAddressConnectionCapFollowsReload(@TempDir Path dir) throws Exception {
        int port = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, config(port, "old.test", "max_connections_per_ip: 3\n"));
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString());
             SmtpClient first = new SmtpClient(port);
             SmtpClient second = new SmtpClient(port)) {
            assertThat(first.reply()).startsWith("220");
            assertThat(second.reply()).startsWith("220");

            Files.writeString(cfg, config(port, "old.test", "max_connections_per_ip: 2\n"));
            server.signal("HUP");
            server.awaitLog("config reloaded");

            try (SmtpClient third = new SmtpClient(port)) {
                assertThat(third.reply()).as("two already open from 127.0.0.1, the new cap is 2")
                        .isEqualTo("421 4.7.0 Error: too many connections from your address, try again later");
            }
            assertThat(first.command("NOOP")).as("connections admitted before stay").startsWith("250");
            first.command("QUIT");
            assertThat(greetingWithin(port, Duration.ofSeconds(5))).as("one closed, so one more fits under the cap")
                    .startsWith("220");
        }
    }

    @Test
    void badConfigOnReloadLeavesTheOldOneServing(@TempDir Path dir) throws Exception {
        int port = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, config(port, "old.test", ""));
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString())) {
            Files.writeString(cfg, config(port, "new.test", "max_clients: 0\nno_such_key: 1\n"));
            server.signal("HUP");
            server.awaitLog("bad config, still serving the old one");
            assertThat(server.logText()).contains("no_such_key: unknown key");

            // A store that cannot open (its directory is a file) is rolled back the same way.
            Files.writeString(dir.resolve("blocker"), "not a directory");
            Files.writeString(cfg, config(port, "new.test", "").replace("data/mail.db", "blocker/mail.db"));
            server.signal("HUP");
            server.awaitLog("reload failed, still serving the old config: store:");

            assertThat(server.process().isAlive()).isTrue();
            assertThat(SmtpClient.deliver(port, "a@b.test", "x@old.test", "still old")).startsWith("250 2.0.0");
            assertThat(SmtpClient.deliver(port, "a@b.test", "x@new.test", "not yet")).startsWith("550 5.7.1");
            assertThat(recipients(dir.resolve("data/mail.db"))).containsExactly("x@old.test");
        }
    }

    @Test
    void listenersAddedAndRemovedByReload(@TempDir Path dir) throws Exception {
        int first = Ports.free();
        int second = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, config(first, "r.test", ""));
        try (ServerProcess server = ServerProcess.start(dir, first, "serve", "-c", cfg.toString());
             SmtpClient onFirst = new SmtpClient(first)) {
            onFirst.reply();
            onFirst.command("EHLO keep.test");
            Files.writeString(cfg, "allowed_hosts: [r.test]\nhost_name: mx.reload.test\nstore:\n  path: data/mail.db\n"
                    + "log_level: warn\nservers:\n  - listen_interface: 127.0.0.1:" + second + "\n");
            server.signal("HUP");
            server.awaitLog("config reloaded");

            assertThat(SmtpClient.deliver(second, "a@b.test", "new@r.test", "on added listener")).startsWith("250 2.0.0");
            assertThat(Ports.refused(first)).as("removed listener stops accepting").isTrue();
            // ... while its open session carries on to the end.
            assertThat(onFirst.command("MAIL FROM:<a@b.test>")).startsWith("250");
            assertThat(onFirst.command("RCPT TO:<old@r.test>")).startsWith("250");
            assertThat(onFirst.command("DATA")).startsWith("354");
            assertThat(onFirst.command("Subject: x\r\n\r\nbody\r\n.")).startsWith("250 2.0.0");
            assertThat(recipients(dir.resolve("data/mail.db"))).containsExactlyInAnyOrder("new@r.test", "old@r.test");
            String log = server.logText();
            // The async appender keeps order, so whatever follows the reload line was logged after it.
            assertThat(log.substring(log.indexOf("config reloaded"))).as("log_level: warn applies after the reload")
                    .doesNotContain("connection opened");
        }
    }

    @Test
    void nodeNameChangesOnlyWithARestart(@TempDir Path dir) throws Exception {
        int port = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, config(port, "r.test", "node_name: edge-1\n"));
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString())) {
            Files.writeString(cfg, config(port, "r.test", "node_name: edge-2\n"));
            server.signal("HUP");
            server.awaitLog("config reloaded");
            assertThat(SmtpClient.deliver(port, "a@b.test", "x@r.test", "after reload")).startsWith("250 2.0.0");
            server.awaitLog("message stored");

            // Metrics, logs and Received headers keep telling one node's story until it restarts.
            assertThat(server.logText()).contains("SIGHUP: node_name changed; restart to apply it node=edge-1")
                    .containsPattern("message stored .* node=edge-1")
                    .doesNotContain("node=edge-2");
        }
    }

    static List<String> recipients(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select \"to\" from new_mail order by mail_id")) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }
}
