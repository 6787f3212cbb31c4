package io.guerrilla.smtpd.config;

import io.guerrilla.smtpd.app.Daemon;
import io.guerrilla.smtpd.server.SmtpServer;
import io.guerrilla.smtpd.support.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ListenersConfigTest {
    @Test
    void serversInheritTopLevelKeysAndOverrideTheirOwn() throws Exception {
        GuerrillaConfig c = ConfigLoader.parse("""
                allowed_hosts: [example.com]
                max_size: 1000
                servers:
                  - listen_interface: 127.0.0.1:2601
                  - listen_interface: 127.0.0.1:2602
                    max_size: 5000
                    host_name: mx2.example.com
                """, "test");
        List<ListenerConfig> ls = c.listeners();
        assertThat(ls).hasSize(2);
        assertThat(ls.get(0).allowedHosts).containsExactly("example.com");
        assertThat(ls.get(0).maxSize).isEqualTo(1000);
        assertThat(ls.get(1).maxSize).isEqualTo(5000);
        assertThat(ls.get(1).hostName).isEqualTo("mx2.example.com");
        assertThat(ls.get(1).allowedHosts).containsExactly("example.com");
    }

    @Test
    void withoutServersTheTopLevelIsTheListener() throws Exception {
        GuerrillaConfig c = ConfigLoader.parse("listen_interface: 127.0.0.1:2603\n", "test");
        assertThat(c.listeners()).singleElement().extracting(l -> l.listenInterface).isEqualTo("127.0.0.1:2603");
    }

    @Test
    void badServerEntriesAreNamedWithTheirIndex() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                servers:
                  - listen_interface: 127.0.0.1:2601
                  - listen_interface: 127.0.0.1:2601
                    max_clients: 0
                """, "test"))
                .hasMessageContaining("servers[1].max_clients: must be greater than 0")
                .hasMessageContaining("servers[1].listen_interface: 127.0.0.1:2601 is used by an earlier server");
        assertThatThrownBy(() -> ConfigLoader.parse("servers:\n  - listen_interfac: x\n", "test"))
                .hasMessageContaining("servers[0].listen_interfac: unknown key");
    }

    @Test
    void spillSettingsAreChecked() {
        assertThatThrownBy(() -> ConfigLoader.parse("spill_threshold: 0\nspill_directory: /no/such/dir\n", "test"))
                .hasMessageContaining("spill_threshold: must be greater than 0")
                .hasMessageContaining("spill_directory: must name an existing directory");
    }

    @Test
    void bodyMemoryIsATopLevelNumberOfOctets() throws Exception {
        assertThat(ConfigLoader.parse("body_memory: 67108864\n", "test").bodyMemory).isEqualTo(64L << 20);
        assertThatThrownBy(() -> ConfigLoader.parse("body_memory: -1\n", "test"))
                .hasMessageContaining("body_memory: must be 0");
    }

    @Test
    void everyListenerServesWithItsOwnPolicy(@TempDir Path dir) throws Exception {
        GuerrillaConfig c = ConfigLoader.parse("""
                allowed_hosts: [example.com]
                servers:
                  - listen_interface: 127.0.0.1:0
                    host_name: one.test
                  - listen_interface: 127.0.0.2:0
                    host_name: two.test
                    allowed_hosts: [other.test]
                """, "test");
        c.store.path = dir.resolve("m.db").toString();
        try (Daemon d = new Daemon(c)) {
            d.start();
            List<SmtpServer> servers = d.servers();
            assertThat(servers).hasSize(2);
            try (SmtpClient one = new SmtpClient(servers.get(0).boundAddress().getPort())) {
                assertThat(one.reply()).startsWith("220 one.test");
                one.command("EHLO c");
                one.command("MAIL FROM:<a@b.test>");
                assertThat(one.command("RCPT TO:<x@example.com>")).startsWith("250");
                assertThat(one.command("RCPT TO:<x@other.test>")).startsWith("550 5.7.1");
            }
            try (SmtpClient two = new SmtpClient("127.0.0.2", servers.get(1).boundAddress().getPort())) {
                assertThat(two.reply()).startsWith("220 two.test");
                two.command("EHLO c");
                two.command("MAIL FROM:<a@b.test>");
                assertThat(two.command("RCPT TO:<x@other.test>")).startsWith("250");
                assertThat(two.command("RCPT TO:<x@example.com>")).startsWith("550 5.7.1");
            }
        }
    }
}
