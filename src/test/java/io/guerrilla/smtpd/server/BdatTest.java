package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** CHUNKING / BDAT (RFC 3030) over a real socket. */
class BdatTest {
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(c -> c.maxSize = 10_000);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static SmtpClient inTransaction(String marker) throws Exception {
        SmtpClient c = new SmtpClient(server.port());
        c.reply();
        c.command("EHLO " + marker + ".test");
        assertThat(c.command("MAIL FROM:<a@" + marker + ".test>")).isEqualTo("250 2.1.0 Ok");
        assertThat(c.command("RCPT TO:<x@example.com>")).isEqualTo("250 2.1.5 Ok");
        return c;
    }

    private static byte[] bdat(String args, byte[] chunk) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("BDAT " + chunk.length + args + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(chunk);
        return out.toByteArray();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void chunkingAdvertised() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            assertThat(c.command("EHLO a.test")).contains("250-CHUNKING", "250-BINARYMIME");
        }
    }

    @Test
    void chunksAreStoredExactlyAsSent() throws Exception {
        // Everything DATA would change: dot-stuffing, a lone ".", bare CR and LF, NUL, 8-bit bytes.
        byte[] first = ascii("Subject: bdat-exact\r\n\r\n..two dots\r\n.\r\nbare\nlf and bare\rcr\r\n");
        byte[] second = new byte[256];
        for (int i = 0; i < 256; i++) {
            second[i] = (byte) i;
        }
        try (SmtpClient c = inTransaction("exact")) {
            c.send(bdat("", first));
            assertThat(c.reply()).isEqualTo("250 2.0.0 Ok: " + first.length + " octets received");
            c.send(bdat(" LAST", second));
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
        List<Map<String, Object>> rows = server.rowsContaining("bdat-exact");
        assertThat(rows).hasSize(1);
        byte[] mail = (byte[]) rows.get(0).get("mail");
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        sent.writeBytes(first);
        sent.writeBytes(second);
        byte[] expected = sent.toByteArray();
        byte[] tail = java.util.Arrays.copyOfRange(mail, mail.length - expected.length, mail.length);
        assertThat(tail).isEqualTo(expected);
        assertThat(TestServer.mail(rows.get(0))).contains("\tby mx.test.local (guerrillad node-t) with ESMTP id ");
    }

    @Test
    void wholeTransactionPipelinedWithBdatZeroLast() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            ByteArrayOutputStream group = new ByteArrayOutputStream();
            group.writeBytes(ascii("EHLO pipe.test\r\nMAIL FROM:<a@pipe.test> BODY=BINARYMIME\r\nRCPT TO:<x@example.com>\r\n"));
            group.writeBytes(bdat("", ascii("Subject: bdat-pipelined\r\n\r\n")));
            group.writeBytes(bdat("", ascii("body\r\n")));
            group.writeBytes(ascii("BDAT 0 LAST\r\nQUIT\r\n"));
            c.send(group.toByteArray());
            List<String> r = c.replies(7);
            assertThat(r.get(0)).startsWith("250-mx.test.local");
            assertThat(r.subList(1, 5)).containsExactly("250 2.1.0 Ok", "250 2.1.5 Ok",
                    "250 2.0.0 Ok: 27 octets received", "250 2.0.0 Ok: 6 octets received");
            assertThat(r.get(5)).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(r.get(6)).isEqualTo("221 2.0.0 Bye");
        }
        assertThat(server.rowsContaining("bdat-pipelined")).singleElement()
                .satisfies(row -> assertThat(TestServer.mail(row)).endsWith("Subject: bdat-pipelined\r\n\r\nbody\r\n"));
    }

    @Test
    void bdatWithoutTransactionIsRefusedButItsChunkConsumed() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            // The chunk holds command lines: if they were not consumed as chunk bytes they would run.
            byte[] chunk = ascii("NOOP\r\nNOOP\r\n");
            c.send(bdat(" LAST", chunk));
            assertThat(c.reply()).isEqualTo("503 5.5.1 Error: send HELO/EHLO first");
            c.command("EHLO a.test");
            c.send(bdat("", chunk));
            assertThat(c.reply()).isEqualTo("503 5.5.1 Error: need MAIL command");
            c.command("MAIL FROM:<a@b.test>");
            c.send(bdat(" LAST", chunk));
            assertThat(c.reply()).isEqualTo("503 5.5.1 Error: need RCPT command");
            c.command("RCPT TO:<nobody@nowhere.test>");
            c.send(bdat(" LAST", chunk));
            assertThat(c.reply()).isEqualTo("554 5.5.1 Error: no valid recipients");
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
            assertThat(c.drain(200)).as("the chunk's NOOPs were not run").isEmpty();
        }
    }

    @Test
    void dataAndBdatDoNotMix() throws Exception {
        try (SmtpClient c = inTransaction("mix")) {
            c.send(bdat("", ascii("Subject: bdat-mixed\r\n\r\n")));
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: 23 octets");
            assertThat(c.command("DATA")).isEqualTo("503 5.5.1 Error: DATA and BDAT cannot be mixed in one transaction");
            c.send(bdat(" LAST", ascii("still the same message\r\n")));
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        assertThat(server.rowsContaining("bdat-mixed")).singleElement()
                .satisfies(row -> assertThat(TestServer.mail(row)).endsWith("bdat-mixed\r\n\r\nstill the same message\r\n"));
    }

    @Test
    void binaryMimeNeedsBdat() throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO a.test");
            c.command("MAIL FROM:<a@b.test> BODY=BINARYMIME");
            c.command("RCPT TO:<x@example.com>");
            assertThat(c.command("DATA")).isEqualTo("503 5.5.1 Error: BODY=BINARYMIME requires BDAT");
            assertThat(c.command("RSET")).isEqualTo("250 2.0.0 Ok");
        }
    }

    @Test
    void rsetBetweenChunksDropsTheMessage() throws Exception {
        try (SmtpClient c = inTransaction("rset")) {
            c.send(bdat("", ascii("Subject: bdat-abandoned\r\n\r\n")));
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: ");
            assertThat(c.command("RSET")).isEqualTo("250 2.0.0 Ok");
            c.send(bdat(" LAST", ascii("orphan\r\n")));
            assertThat(c.reply()).isEqualTo("503 5.5.1 Error: need MAIL command");
            c.command("MAIL FROM:<a@b.test>");
            c.command("RCPT TO:<x@example.com>");
            c.send(bdat(" LAST", ascii("Subject: bdat-after-rset\r\n\r\nfresh\r\n")));
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        assertThat(server.rowsContaining("bdat-abandoned")).isEmpty();
        assertThat(server.rowsContaining("bdat-after-rset")).singleElement()
                .satisfies(row -> assertThat(TestServer.mail(row)).doesNotContain("orphan"));
    }

    @Test
    void chunksCountAgainstMaxSize() throws Exception {
        byte[] big = new byte[6000];
        new Random(1).nextBytes(big);
        try (SmtpClient c = inTransaction("size")) {
            c.send(bdat("", big));
            assertThat(c.reply()).isEqualTo("250 2.0.0 Ok: 6000 octets received");
            // The second chunk passes 10 000 octets: refused at once, its bytes discarded as they come.
            c.send(bdat("", big));
            assertThat(c.reply()).isEqualTo("552 5.3.4 Error: message size exceeds fixed limit");
            c.send(bdat(" LAST", big));
            assertThat(c.reply()).isEqualTo("503 5.5.1 Error: need MAIL command");
            assertThat(c.command("MAIL FROM:<a@b.test>")).isEqualTo("250 2.1.0 Ok");
            c.command("RCPT TO:<x@example.com>");
            c.send(bdat(" LAST", ascii("Subject: bdat-after-oversize\r\n\r\nok\r\n")));
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        assertThat(server.rowsContaining("bdat-after-oversize")).hasSize(1);
    }

    @Test
    void oversizeLastChunkGets552() throws Exception {
        try (SmtpClient c = inTransaction("lastsize")) {
            c.send(bdat(" LAST", new byte[10_001]));
            assertThat(c.reply()).isEqualTo("552 5.3.4 Error: message size exceeds fixed limit");
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
    }

    @Test
    void chunkSplitAcrossManyWrites() throws Exception {
        byte[] chunk = ascii("Subject: bdat-trickle\r\n\r\n" + "line\r\n".repeat(200));
        try (SmtpClient c = inTransaction("trickle")) {
            c.send("BDAT " + chunk.length + " LAST\r\n");
            for (int i = 0; i < chunk.length; i += 97) {
                c.send(java.util.Arrays.copyOfRange(chunk, i, Math.min(chunk.length, i + 97)));
                Thread.sleep(1);
            }
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        assertThat(server.rowsContaining("bdat-trickle")).singleElement()
                .satisfies(row -> assertThat(TestServer.mail(row)).endsWith(new String(chunk, StandardCharsets.ISO_8859_1)));
    }

    @Test
    void badBdatSyntax() throws Exception {
        try (SmtpClient c = inTransaction("syntax")) {
            assertThat(c.command("BDAT")).isEqualTo("501 5.5.4 Syntax: BDAT chunk-size [LAST]");
            assertThat(c.command("BDAT x LAST")).isEqualTo("501 5.5.4 Syntax: BDAT chunk-size [LAST]");
            assertThat(c.command("BDAT 5 FIRST")).isEqualTo("501 5.5.4 Syntax: BDAT chunk-size [LAST]");
            assertThat(c.command("BDAT -1")).isEqualTo("501 5.5.4 Syntax: BDAT chunk-size [LAST]");
            c.send("BDAT 0 last\r\n");
            assertThat(c.reply()).as("LAST is case-insensitive; an empty message is a message").startsWith("250 2.0.0 Ok: queued as");
        }
    }
}
