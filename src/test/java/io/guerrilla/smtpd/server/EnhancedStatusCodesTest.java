package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.smtp.Replies;
import io.guerrilla.smtpd.smtp.Reply;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ENHANCEDSTATUSCODES (RFC 2034): every 2xx, 4xx and 5xx reply after the greeting carries an RFC 3463
 * code of the same class. RFC 2034 section 3 exempts the greeting and the HELO/EHLO replies; 354 is
 * not a completion reply and has none, as in Postfix.
 */
class EnhancedStatusCodesTest {
    private static final Pattern LINE = Pattern.compile("(\\d{3})[ -](?:(\\d)\\.(\\d{1,3})\\.(\\d{1,3}) )?.*");

    private static void assertEnhanced(String command, String reply) {
        for (String line : reply.split("\n")) {
            Matcher m = LINE.matcher(line);
            assertThat(m.matches()).as("reply to %s: %s", command, line).isTrue();
            int code = Integer.parseInt(m.group(1));
            if (code / 100 == 3) {
                continue;
            }
            assertThat(m.group(2)).as("enhanced code in reply to %s: %s", command, line).isNotNull();
            assertThat(Integer.parseInt(m.group(2))).as("class of %s", line).isEqualTo(code / 100);
        }
    }

    @Test
    void everyReplyOfAVariedSessionHasAnEnhancedCode() throws Exception {
        List<String> script = List.of("HELO first.test", "MAIL FROM:<a@b.test>", "NOOP", "RSET", "VRFY x", "VRFY", "HELP",
                "EXPN list", "STARTTLS", "XCLIENT ADDR=1.2.3.4", "XYZZY", "", "DATA x", "RSET x", "BDAT x",
                "MAIL FROM:<a@b.test> SIZE=10", "RCPT TO:<x@example.com>", "DATA", "EHLO again.test",
                "MAIL FROM:bad", "MAIL FROM:<a@b.test> FOO=1", "MAIL FROM:<a@b.test> SIZE=999999999999",
                "MAIL FROM:<jö@b.test>", "MAIL FROM:<a@b.test>", "MAIL FROM:<a@b.test>", "RCPT TO:<x@nowhere.test>",
                "RCPT TO:<jö@example.com>", "RCPT TO:bad", "DATA", "RCPT TO:<x@example.com>", "RCPT TO:<y@example.com>",
                "RCPT TO:<z@example.com>", "NOOP " + "x".repeat(600));
        try (TestServer server = TestServer.start(c -> c.maxRecipients = 2);
             SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            for (String cmd : script) {
                String reply = c.command(cmd);
                if (!cmd.startsWith("HELO") && !cmd.startsWith("EHLO")) {
                    assertEnhanced(cmd, reply);
                }
            }
            c.send("BDAT 5\r\n12345");
            assertEnhanced("BDAT 5", c.reply());
            assertThat(c.command("DATA")).startsWith("503 5.5.1");
            c.send("BDAT 3 LAST\r\nxyz");
            assertEnhanced("BDAT LAST", c.reply());
            c.command("MAIL FROM:<a@b.test>");
            c.command("RCPT TO:<x@example.com>");
            c.command("DATA");
            c.send("bare\nlf and a long line " + "x".repeat(2000) + "\r\n.\r\n");
            assertEnhanced("end of data", c.reply());
            assertEnhanced("QUIT", c.command("QUIT"));
        }
    }

    @Test
    void closingRepliesHaveEnhancedCodes() throws Exception {
        try (TestServer server = TestServer.start(c -> c.maxBadCommands = 2);
             SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            assertEnhanced("bad 1", c.command("XYZZY"));
            String closing = c.command("XYZZY");
            assertThat(closing).startsWith("421 ");
            assertEnhanced("bad 2", closing);
        }
    }

    /** Also the replies no socket test reaches easily (store failure, shutdown, limits). */
    @Test
    void everyFixedReplyHasAnEnhancedCodeOfItsClass() throws Exception {
        List<Reply> replies = new ArrayList<>();
        for (Field f : Replies.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == Reply.class) {
                replies.add((Reply) f.get(null));
            }
        }
        replies.add(Replies.queued("ID"));
        replies.add(Replies.chunkReceived(5));
        assertThat(replies).hasSizeGreaterThan(40);
        for (Reply r : replies) {
            assertEnhanced(r.toString(), r.toString());
        }
    }
}
