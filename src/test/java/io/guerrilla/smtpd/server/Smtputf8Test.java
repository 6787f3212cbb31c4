package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** SMTPUTF8 (RFC 6531) and 8BITMIME (RFC 6152) over a real socket. */
class Smtputf8Test {
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(c -> c.allowedHosts = java.util.List.of("example.com", "bücher.example"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static SmtpClient greeted() throws Exception {
        SmtpClient c = new SmtpClient(server.port());
        c.reply();
        assertThat(c.command("EHLO utf8.test")).contains("250-SMTPUTF8", "250-8BITMIME");
        return c;
    }

    @Test
    void utf8AddressesAcceptedWithSmtputf8() throws Exception {
        try (SmtpClient c = greeted()) {
            assertThat(c.command("MAIL FROM:<jösé@absender.example> SMTPUTF8")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("RCPT TO:<пользователь@bücher.example>")).isEqualTo("250 2.1.5 Ok");
            c.command("DATA");
            c.send("Subject: utf8-stored ✓\r\n\r\nÜnïcödé body\r\n.\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        Map<String, Object> row = server.rows().stream()
                .filter(r -> new String((byte[]) r.get("mail"), StandardCharsets.UTF_8).contains("utf8-stored")).findFirst().orElseThrow();
        String mail = new String((byte[]) row.get("mail"), StandardCharsets.UTF_8);
        assertThat(mail).contains("with UTF8SMTP id").contains("Ünïcödé body");
        assertThat(row.get("recipient")).isEqualTo("пользователь@bücher.example");
        assertThat(row.get("return_path")).isEqualTo("jösé@absender.example");
    }

    @Test
    void utf8AddressesRefusedWithoutSmtputf8() throws Exception {
        try (SmtpClient c = greeted()) {
            assertThat(c.command("MAIL FROM:<jösé@absender.example>")).isEqualTo("553 5.6.7 Error: non-ASCII address requires SMTPUTF8");
            assertThat(c.command("MAIL FROM:<a@absender.example>")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("RCPT TO:<ü@example.com>")).isEqualTo("553 5.6.7 Error: non-ASCII address requires SMTPUTF8");
            assertThat(c.command("RCPT TO:<u@bücher.example>")).isEqualTo("553 5.6.7 Error: non-ASCII address requires SMTPUTF8");
            assertThat(c.command("RCPT TO:<u@example.com>")).isEqualTo("250 2.1.5 Ok");
        }
    }

    @Test
    void invalidUtf8CommandRefusedAndSessionContinues() throws Exception {
        try (SmtpClient c = greeted()) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            line.writeBytes("MAIL FROM:<j".getBytes(StandardCharsets.US_ASCII));
            line.writeBytes(new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF});
            line.writeBytes("@absender.example> SMTPUTF8\r\n".getBytes(StandardCharsets.US_ASCII));
            c.send(line.toByteArray());
            assertThat(c.reply()).isEqualTo("500 5.5.2 Error: command is not valid UTF-8");
            // An overlong encoding of '<' is not valid UTF-8 either.
            c.send(new byte[] {'R', 'C', 'P', 'T', ' ', 'T', 'O', ':', (byte) 0xC0, (byte) 0xBC, 'a', '>', '\r', '\n'});
            assertThat(c.reply()).isEqualTo("500 5.5.2 Error: command is not valid UTF-8");
            assertThat(c.command("MAIL FROM:<j@absender.example> SMTPUTF8")).isEqualTo("250 2.1.0 Ok");
        }
    }

    @Test
    void bodyParameter() throws Exception {
        try (SmtpClient c = greeted()) {
            assertThat(c.command("MAIL FROM:<a@b.example> BODY=7BIT")).isEqualTo("250 2.1.0 Ok");
            c.command("RSET");
            assertThat(c.command("MAIL FROM:<a@b.example> BODY=QUOTED")).isEqualTo("501 5.5.4 Error: BODY must be 7BIT, 8BITMIME or BINARYMIME");
            assertThat(c.command("MAIL FROM:<a@b.example> BODY=8bitmime")).isEqualTo("250 2.1.0 Ok");
            c.command("RCPT TO:<x@example.com>");
            c.command("DATA");
            byte[] latin1 = "Subject: eightbit-body\r\n\r\ncaf\u00e9 \u00ff\r\n.\r\n".getBytes(StandardCharsets.ISO_8859_1);
            c.send(latin1);
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        assertThat(server.rowsContaining("eightbit-body")).singleElement()
                .satisfies(r -> assertThat(TestServer.mail(r)).endsWith("caf\u00e9 \u00ff\r\n"));
    }

    @Test
    void helo8bitParametersNeedEhlo() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("HELO old.test");
            assertThat(c.command("MAIL FROM:<a@b.example> BODY=8BITMIME")).isEqualTo("555 5.5.4 Error: ESMTP parameters need EHLO");
        }
    }
}
