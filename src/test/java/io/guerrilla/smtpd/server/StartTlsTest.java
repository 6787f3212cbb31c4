package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestCertificates;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** STARTTLS (RFC 3207) with a real JDK TLS client over a real socket. */
class StartTlsTest {
    private static TestServer server;
    private static SSLContext client;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(c -> {
            TestCertificates.install(c.tls);
            c.tls.startTls = true;
        });
        client = TestCertificates.clientContext();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static SmtpClient greeted() throws IOException {
        SmtpClient c = new SmtpClient(server.port());
        assertThat(c.reply()).startsWith("220 ");
        return c;
    }

    private static Map<String, Object> onlyRowWith(String marker) throws Exception {
        List<Map<String, Object>> rows = server.rows().stream()
                .filter(r -> new String((byte[]) r.get("mail"), StandardCharsets.UTF_8).contains(marker)).toList();
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }

    @Test
    void afterStartTlsTheSessionStartsOverAndTheMessageIsMarkedTls() throws Exception {
        try (SmtpClient c = greeted()) {
            assertThat(c.command("EHLO client.test")).containsPattern("250[- ]STARTTLS").doesNotContain("XCLIENT");
            assertThat(c.command("STARTTLS")).isEqualTo("220 2.0.0 Ready to start TLS");
            c.startTls(client);
            assertThat(c.command("MAIL FROM:<a@client.test>")).isEqualTo("503 5.5.1 Error: send HELO/EHLO first");
            assertThat(c.command("EHLO client.test")).startsWith("250-mx.test.local").doesNotContain("STARTTLS");
            assertThat(c.command("STARTTLS")).isEqualTo("503 5.5.1 Error: TLS already active");
            assertThat(c.command("MAIL FROM:<a@client.test>")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("RCPT TO:<tls@example.com>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("DATA")).startsWith("354");
            assertThat(c.command("Subject: over starttls marker-starttls\r\n\r\nsecret\r\n.")).startsWith("250 2.0.0 Ok: queued as");
            assertThat(c.command("QUIT")).isEqualTo("221 2.0.0 Bye");
        }
        Map<String, Object> row = onlyRowWith("marker-starttls");
        assertThat(row.get("is_tls")).isEqualTo(1);
        assertThat(new String((byte[]) row.get("mail"), StandardCharsets.UTF_8))
                .contains("Received: from client.test ([127.0.0.1])\r\n\tby mx.test.local (guerrillad node-t) with ESMTPS id ");
    }

    @Test
    void commandsPipelinedBehindStartTlsAreDiscarded() throws Exception {
        try (SmtpClient c = greeted()) {
            c.command("EHLO client.test");
            c.send("STARTTLS\r\nMAIL FROM:<x@y.test>\r\n");
            assertThat(c.reply()).isEqualTo("220 2.0.0 Ready to start TLS");
            assertThat(c.drain(300)).as("nothing answered in plaintext after the 220").isEmpty();
            c.startTls(client);
            assertThat(c.drain(300)).as("no reply to the injected MAIL inside TLS").isEmpty();
            assertThat(c.command("RCPT TO:<tls@example.com>")).as("the injected MAIL did not start a transaction")
                    .isEqualTo("503 5.5.1 Error: send HELO/EHLO first");
            c.command("EHLO client.test");
            assertThat(c.command("RCPT TO:<tls@example.com>")).isEqualTo("503 5.5.1 Error: need MAIL command");
        }
    }

    @Test
    void utf8MessageOverTlsIsUtf8smtps() throws Exception {
        try (SmtpClient c = greeted()) {
            c.command("EHLO client.test");
            c.command("STARTTLS");
            c.startTls(client);
            c.command("EHLO client.test");
            assertThat(c.command("MAIL FROM:<jörg@client.test> SMTPUTF8")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("RCPT TO:<tls@example.com>")).startsWith("250");
            c.command("DATA");
            assertThat(c.command("Subject: marker-utf8s\r\n\r\nhi\r\n.")).startsWith("250 ");
        }
        assertThat(new String((byte[]) onlyRowWith("marker-utf8s").get("mail"), StandardCharsets.UTF_8))
                .contains(" with UTF8SMTPS id ");
    }

    @Test
    void startTlsWithArgumentsOrInATransactionIsRefused() throws Exception {
        try (SmtpClient c = greeted()) {
            c.command("EHLO client.test");
            assertThat(c.command("STARTTLS now")).isEqualTo("501 5.5.4 Syntax error: no parameters allowed");
            c.command("MAIL FROM:<a@client.test>");
            assertThat(c.command("STARTTLS")).isEqualTo("503 5.5.1 Error: MAIL transaction in progress");
            assertThat(c.command("RSET")).startsWith("250");
            assertThat(c.command("STARTTLS")).startsWith("220 2.0.0");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void bothConfiguredProtocolsNegotiate(String protocol) throws Exception {
        try (SmtpClient c = greeted()) {
            c.command("EHLO client.test");
            c.command("STARTTLS");
            SSLSession session = c.startTls(client, protocol);
            assertThat(session.getProtocol()).isEqualTo(protocol);
            assertThat(c.command("EHLO client.test")).startsWith("250-mx.test.local");
        }
    }

    @ParameterizedTest
    @CsvSource({"TLSv1.3, TLSv1.2", "TLSv1.2, TLSv1.3"})
    void aProtocolOutsideTheListIsRefused(String configured, String offered) throws Exception {
        try (TestServer only = TestServer.start(c -> {
            TestCertificates.install(c.tls);
            c.tls.startTls = true;
            c.tls.protocols = List.of(configured);
        }); SmtpClient c = new SmtpClient(only.port())) {
            c.reply();
            c.command("EHLO client.test");
            assertThat(c.command("STARTTLS")).startsWith("220 2.0.0");
            assertThatThrownBy(() -> c.startTls(client, offered)).isInstanceOf(IOException.class);
        }
    }

    @Test
    void aFailedHandshakeClosesTheConnection() throws Exception {
        try (SmtpClient c = greeted()) {
            c.command("EHLO client.test");
            c.command("STARTTLS");
            c.send("EHLO this is not a TLS ClientHello\r\n");
            c.drain(3000);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void withoutTlsStartTlsIsNeitherOfferedNorAccepted() throws Exception {
        try (TestServer plain = TestServer.start(); SmtpClient c = new SmtpClient(plain.port())) {
            c.reply();
            assertThat(c.command("EHLO client.test")).doesNotContain("STARTTLS");
            assertThat(c.command("STARTTLS")).isEqualTo("502 5.5.1 Error: command not implemented");
        }
    }
}
