package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.SocketException;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Input no SMTP client sends: a TLS handshake on the plaintext port, binary garbage. 5xx and close, never a hang. */
class HostileInputTest {
    private static final String BINARY = "500 5.5.2 Error: binary data or TLS handshake on a plaintext SMTP connection; closing connection";
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The start of a TLS 1.2/1.3 ClientHello record: handshake (0x16), version 3.1, then the hello. */
    private static byte[] clientHello() {
        byte[] hello = new byte[517];
        new Random(7).nextBytes(hello);
        hello[0] = 0x16;
        hello[1] = 0x03;
        hello[2] = 0x01;
        hello[3] = 0x02;
        hello[4] = 0x00;
        hello[5] = 0x01;
        return hello;
    }

    @Test
    void tlsClientHelloOnThePlaintextPort() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.send(clientHello());
            assertThat(c.reply()).isEqualTo(BINARY);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void clientHelloBeforeReadingTheBanner() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.send(clientHello());
            assertThat(c.reply()).startsWith("220 ");
            assertThat(c.reply()).isEqualTo(BINARY);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void binaryGarbageWithoutLineEnds() throws Exception {
        byte[] garbage = new byte[64];
        new Random(3).nextBytes(garbage);
        garbage[10] = 0;
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO a.test");
            c.send(garbage);
            assertThat(c.reply()).isEqualTo(BINARY);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void nulInsideACommandLine() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.send("MAIL FROM:<a@b.test>\0\r\n");
            assertThat(c.reply()).isEqualTo(BINARY);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void tabAndUtf8AreNotBinary() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            assertThat(c.command("NOOP bonjour\tça va")).isEqualTo("250 2.0.0 Ok");
        }
    }

    /**
     * Any random bytes: well-formed replies or a close, never a hang or a malformed answer, and the
     * server still serves afterwards. (A reset may swallow the last reply, so none is required.)
     */
    @Test
    void randomBytesNeverHang() throws Exception {
        Random rnd = new Random(11);
        for (int i = 0; i < 50; i++) {
            byte[] junk = new byte[1 + rnd.nextInt(3000)];
            rnd.nextBytes(junk);
            junk[junk.length - 1] = '\n';
            if (junk.length > 1) {
                junk[junk.length - 2] = '\r';
            }
            try (SmtpClient c = new SmtpClient(server.port())) {
                c.reply();
                try {
                    c.send(junk);
                } catch (SocketException closedWhileWriting) {
                    continue;
                }
                assertThat(c.drain(1000)).as("round %s", i).matches("(?s)([2-5]\\d\\d[ -][^\\r]*\\r\\n)*");
            }
        }
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
    }
}
