package io.guerrilla.smtpd.app;

import io.guerrilla.smtpd.config.ConfigLoader;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.config.ListenerConfig;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Daemon#reload} against a running server, with clients sending while it happens. */
class DaemonReloadTest {

    private static GuerrillaConfig copyWithStore(TestServer server, Path db) throws Exception {
        GuerrillaConfig c = new GuerrillaConfig();
        c.listenInterface = "127.0.0.1:" + server.port();
        c.hostName = server.config.hostName;
        c.allowedHosts = server.config.allowedHosts;
        c.store.path = db.toString();
        ConfigLoader.check(c, "test");
        return c;
    }

    @Test
    void storeSwappedUnderLoadLosesNoMessage() throws Exception {
        int clients = 4;
        int each = 15;
        try (TestServer server = TestServer.start()) {
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<Future<List<String>>> sent = new ArrayList<>();
            for (int t = 0; t < clients; t++) {
                int client = t;
                sent.add(pool.submit(() -> {
                    List<String> replies = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        replies.add(SmtpClient.deliver(server.port(), "a@b.test", "c" + client + "m" + i + "@example.com",
                                "swap"));
                    }
                    return replies;
                }));
            }
            List<Path> dbs = new ArrayList<>(List.of(server.dbPath()));
            for (int r = 1; r <= 3; r++) {
                Thread.sleep(50);
                Path next = server.dir.resolve("swap" + r + ".db");
                server.daemon().reload(copyWithStore(server, next));
                dbs.add(next);
            }
            int accepted = 0;
            for (Future<List<String>> f : sent) {
                for (String reply : f.get()) {
                    assertThat(reply).startsWith("250 2.0.0");
                    accepted++;
                }
            }
            pool.shutdown();
            assertThat(SmtpClient.deliver(server.port(), "a@b.test", "last@example.com", "after")).startsWith("250");
            long stored = 0;
            for (Path db : dbs) {
                stored += count(db);
            }
            assertThat(accepted).isEqualTo(clients * each);
            assertThat(stored).isEqualTo(clients * each + 1);
            assertThat(count(dbs.get(dbs.size() - 1))).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void listenerThatCannotBindRollsBackTheWholeReload() throws Exception {
        try (TestServer server = TestServer.start();
             ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            GuerrillaConfig next = copyWithStore(server, server.dir.resolve("other.db"));
            next.allowedHosts = List.of("only-new.test");
            ListenerConfig same = new ListenerConfig();
            same.listenInterface = "127.0.0.1:" + server.port();
            same.allowedHosts = next.allowedHosts;
            ListenerConfig busy = new ListenerConfig();
            busy.listenInterface = "127.0.0.1:" + taken.getLocalPort();
            busy.allowedHosts = next.allowedHosts;
            next.servers = List.of(same, busy);
            ConfigLoader.check(next, "test");

            assertThatThrownBy(() -> server.daemon().reload(next)).isInstanceOf(ReloadException.class)
                    .hasMessageContaining("listener");
            assertThat(SmtpClient.deliver(server.port(), "a@b.test", "x@example.com", "old rules")).startsWith("250");
            assertThat(count(server.dbPath())).isEqualTo(1);
            assertThat(server.daemon().servers()).hasSize(1);
        }
    }

    private static long count(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM new_mail")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
