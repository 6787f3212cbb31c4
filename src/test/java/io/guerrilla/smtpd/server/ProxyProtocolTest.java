package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestCertificates;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** PROXY protocol v1 and v2 from a trusted proxy (here: loopback), over raw sockets. */
class ProxyProtocolTest {
    private static final byte[] V2_SIGNATURE = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a");
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(c -> {
            c.proxyProtocol = true;
            c.trustedProxies = List.of("127.0.0.0/8", "::1");
            c.proxyProtocolTimeout = 1;
        });
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A PROXY v2 header: PROXY command over TCP, source and destination address and port. */
    static byte[] v2(String src, String dst, int srcPort, int dstPort) throws Exception {
        byte[] s = InetAddress.getByName(src).getAddress();
        byte[] d = InetAddress.getByName(dst).getAddress();
        ByteBuffer b = ByteBuffer.allocate(16 + s.length * 2 + 4);
        b.put(V2_SIGNATURE).put((byte) 0x21).put((byte) (s.length == 4 ? 0x11 : 0x21))
                .putShort((short) (s.length * 2 + 4)).put(s).put(d).putShort((short) srcPort).putShort((short) dstPort);
        return b.array();
    }

    private static void sendMessage(SmtpClient c, String subject) throws Exception {
        assertThat(c.command("EHLO relay.client.test")).startsWith("250");
        c.transaction("p@client.test", "proxied@example.com", subject);
    }

    @Test
    void v1HeaderNamesTheStoredClient() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            assertThat(c.drain(300)).as("no greeting before the PROXY header").isEmpty();
            c.send("PROXY TCP4 203.0.113.7 127.0.0.1 5555 25\r\n");
            assertThat(c.reply()).isEqualTo("220 mx.test.local ESMTP Guerrilla SMTPd");
            sendMessage(c, "proxy-v1");
            assertThat(c.command("PROXY TCP4 198.51.100.1 127.0.0.1 5555 25"))
                    .as("a second header is just an unknown command").isEqualTo("500 5.5.2 Error: command not recognized");
        }
        Map<String, Object> row = server.onlyRowWithSubject("proxy-v1");
        assertThat(row.get("ip_addr")).isEqualTo("203.0.113.7");
        assertThat(new String((byte[]) row.get("mail"), StandardCharsets.UTF_8))
                .contains("Received: from relay.client.test ([203.0.113.7])");
    }

    @Test
    void v1HeaderAndFirstCommandInOneWrite() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.send("PROXY TCP6 2001:db8::7 ::1 5555 25\r\nEHLO relay.client.test\r\n");
            assertThat(c.reply()).startsWith("220 ");
            assertThat(c.reply()).startsWith("250-mx.test.local");
            c.transaction("p@client.test", "proxied@example.com", "proxy-v1-v6");
        }
        assertThat(server.onlyRowWithSubject("proxy-v1-v6").get("ip_addr")).isEqualTo("2001:db8::7");
    }

    @Test
    void v2BinaryHeaderIpv4AndIpv6() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.send(v2("203.0.113.7", "127.0.0.1", 40000, 25));
            assertThat(c.reply()).startsWith("220 ");
            sendMessage(c, "proxy-v2-v4");
        }
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.send(v2("2001:db8::8", "2001:db8::1", 40000, 25));
            assertThat(c.reply()).startsWith("220 ");
            sendMessage(c, "proxy-v2-v6");
        }
        assertThat(server.onlyRowWithSubject("proxy-v2-v4").get("ip_addr")).isEqualTo("203.0.113.7");
        assertThat(server.onlyRowWithSubject("proxy-v2-v6").get("ip_addr")).isEqualTo("2001:db8::8");
    }

    @Test
    void v2LocalCommandKeepsTheProxyAsClient() throws Exception {
        ByteArrayOutputStream local = new ByteArrayOutputStream();
        local.write(V2_SIGNATURE);
        local.write(new byte[] {0x20, 0x00, 0x00, 0x00});
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.send(local.toByteArray());
            assertThat(c.reply()).startsWith("220 ");
            sendMessage(c, "proxy-v2-local");
        }
        assertThat(server.onlyRowWithSubject("proxy-v2-local").get("ip_addr")).isEqualTo("127.0.0.1");
    }

    @Test
    void smtpInsteadOfAHeaderIsClosedUnanswered() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.send("EHLO client.test\r\nMAIL FROM:<a@b.test>\r\n");
            assertThat(c.drain(3000)).isEmpty();
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void noHeaderWithinTheTimeoutIsClosed() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            assertThat(c.drain(3000)).isEmpty();
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void aPeerOutsideTheTrustedProxiesIsRefused() throws Exception {
        try (TestServer strict = TestServer.start(c -> {
            c.proxyProtocol = true;
            c.trustedProxies = List.of("192.0.2.0/24");
        }); SmtpClient c = new SmtpClient(strict.port())) {
            c.send("PROXY TCP4 203.0.113.7 127.0.0.1 5555 25\r\n");
            assertThat(c.reply()).isEqualTo("421 4.7.0 Error: PROXY protocol expected from a trusted proxy only");
            assertThat(c.closedByServer()).isTrue();
            assertThat(strict.rows()).isEmpty();
        }
    }

    @Test
    void headerBeforeImplicitTls() throws Exception {
        try (TestServer smtps = TestServer.start(c -> {
            c.proxyProtocol = true;
            c.trustedProxies = List.of("127.0.0.1");
            TestCertificates.install(c.tls);
            c.tls.implicit = true;
        }); SmtpClient c = new SmtpClient(smtps.port())) {
            c.send("PROXY TCP4 203.0.113.9 127.0.0.1 5555 465\r\n");
            c.startTls(TestCertificates.clientContext());
            assertThat(c.reply()).startsWith("220 mx.test.local");
            sendMessage(c, "proxy-smtps");
            List<Map<String, Object>> rows = smtps.rows();
            assertThat(rows).singleElement().satisfies(r -> {
                assertThat(r.get("ip_addr")).isEqualTo("203.0.113.9");
                assertThat(r.get("is_tls")).isEqualTo(1);
            });
        }
    }
}
