package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestCertificates;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Implicit TLS (RFC 8314, port 465 style): the handshake comes first, the greeting inside it. */
class ImplicitTlsTest {
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(c -> {
            TestCertificates.install(c.tls);
            c.tls.implicit = true;
        });
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void greetingAndTransactionInsideTls() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.startTls(TestCertificates.clientContext());
            assertThat(c.reply()).isEqualTo("220 mx.test.local ESMTP Guerrilla SMTPd");
            assertThat(c.command("EHLO client.test")).doesNotContain("STARTTLS");
            assertThat(c.command("STARTTLS")).isEqualTo("503 5.5.1 Error: TLS already active");
            c.command("MAIL FROM:<a@client.test>");
            assertThat(c.command("RCPT TO:<smtps@example.com>")).startsWith("250");
            c.command("DATA");
            assertThat(c.command("Subject: marker-implicit\r\n\r\nhi\r\n.")).startsWith("250 2.0.0");
        }
        List<Map<String, Object>> rows = server.rows().stream()
                .filter(r -> new String((byte[]) r.get("mail"), StandardCharsets.UTF_8).contains("marker-implicit")).toList();
        assertThat(rows).singleElement().satisfies(r -> {
            assertThat(r.get("is_tls")).isEqualTo(1);
            assertThat(new String((byte[]) r.get("mail"), StandardCharsets.UTF_8)).contains(" with ESMTPS id ");
        });
    }

    @Test
    void aPlaintextClientGetsNoGreetingAndIsClosed() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            assertThat(c.drain(500)).as("no greeting before the handshake").isEmpty();
            c.send("EHLO client.test\r\n");
            c.drain(3000);
            assertThat(c.closedByServer()).isTrue();
        }
    }
}
