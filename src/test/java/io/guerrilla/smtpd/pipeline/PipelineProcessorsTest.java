package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What each processor adds, seen in the stored row: leave one out and its part is missing. */
class PipelineProcessorsTest {

    private static String send(SmtpClient c, String mailFrom, String rcpt, String content) throws Exception {
        c.command("MAIL FROM:" + mailFrom);
        c.command("RCPT TO:" + rcpt);
        c.command("DATA");
        c.send(content + ".\r\n");
        return c.reply();
    }

    private static String mail(Map<String, Object> row) {
        return new String((byte[]) row.get("mail"), StandardCharsets.UTF_8);
    }

    @Test
    void receivedNamesTheProtocolTheClientUsed() throws Exception {
        try (TestServer server = TestServer.start()) {
            try (SmtpClient c = new SmtpClient(server.port())) {
                c.reply();
                c.command("HELO plain.test");
                assertThat(send(c, "<a@plain.test>", "<p@example.com>", "Subject: smtp\r\n\r\nx\r\n")).startsWith("250");
            }
            try (SmtpClient c = new SmtpClient(server.port())) {
                c.reply();
                c.command("EHLO utf8.test");
                assertThat(send(c, "<ä@utf8.test> SMTPUTF8", "<ü@example.com>", "Subject: utf8\r\n\r\nx\r\n")).startsWith("250");
            }
            List<Map<String, Object>> rows = server.rows();
            assertThat(mail(rows.get(0))).contains("\tby mx.test.local (guerrillad node-t) with SMTP id ");
            assertThat(mail(rows.get(1))).startsWith("Delivered-To: ü@example.com\r\n").contains(" with UTF8SMTP id ");
            assertThat(rows.get(1).get("to")).isEqualTo("ü@example.com");
        }
    }

    @Test
    void sqlAloneStoresTheMessageAsReceived() throws Exception {
        try (TestServer server = TestServer.start(c -> c.store.saveProcess = "sql");
             SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO bare.test");
            String content = "Subject: untouched\r\nFrom: f@bare.test\r\n\r\nbody\r\n";
            assertThat(send(c, "<a@bare.test>", "<p@example.com>", content)).startsWith("250");
            Map<String, Object> row = server.rows().get(0);
            assertThat(mail(row)).as("no Header: nothing prepended").isEqualTo(content);
            assertThat(row.get("subject")).as("no HeadersParser: no header columns").isEqualTo("");
            assertThat(row.get("from")).isEqualTo("");
            assertThat(row.get("hash")).as("no Hasher").isEqualTo("");
            assertThat(row.get("body")).isEqualTo("raw");
            assertThat(row.get("return_path")).isEqualTo("a@bare.test");
        }
    }

    @Test
    void debuggerPassesTheMessageOn() throws Exception {
        try (TestServer server = TestServer.start(c -> {
            c.store.saveProcess = "Debugger|HeadersParser|Debugger|SQL";
            c.store.debuggerLogReceivedMails = true;
        }); SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO dbg.test");
            assertThat(send(c, "<a@dbg.test>", "<p@example.com>", "Subject: logged\r\n\r\nx\r\n")).startsWith("250");
            assertThat(server.rows()).extracting(r -> r.get("subject")).containsExactly("logged");
        }
    }
}
