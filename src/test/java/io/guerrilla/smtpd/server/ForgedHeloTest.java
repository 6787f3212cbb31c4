package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** A HELO that is not a domain or address literal lands in the Received header only inside a comment. */
class ForgedHeloTest {
    private static final String FORGED = "mail.google.com ([209.85.220.41]) by mx.google.com; Mon, 1 Jan 2024 00:00:00 +0000";
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aHeloForgingAHopIsWrittenAsAComment() throws Exception {
        String received = receivedFor("EHLO " + FORGED, "forged-hop");
        String tokens = withoutComments(received);
        assertThat(tokens).as("outside comments: " + tokens).startsWith("from [127.0.0.1] by mx.test.local with ESMTP id ");
        assertThat(tokens.split("\\bby\\b", -1)).as("one 'by' outside comments").hasSize(2);
        assertThat(tokens.chars().filter(c -> c == ';').count()).as("one date").isEqualTo(1);
        assertThat(tokens).doesNotContain("google");
        assertThat(received).contains("(HELO \"mail.google.com \\([209.85.220.41]\\) by mx.google.com; Mon, 1 Jan 2024 00:00:00 +0000\")");
    }

    @Test
    void c1ControlAndBidiCharactersAndUnbalancedParenthesesStayInsideTheComment() throws Exception {
        String received = receivedFor("HELO x) by evil.test; \u202Efdp.exe\u0085 (\\", "forged-bidi");
        assertThat(withoutComments(received)).startsWith("from [127.0.0.1] by mx.test.local with SMTP id ");
        assertThat(received).contains("(HELO \"x\\) by evil.test; ?fdp.exe? \\(\\\\\")").doesNotContain("\u202E", "\u0085");
    }

    @Test
    void aValidHeloStaysTheFromDomain() throws Exception {
        assertThat(receivedFor("EHLO client.example", "valid-helo")).startsWith("from client.example ([127.0.0.1])");
        assertThat(receivedFor("EHLO [192.0.2.1]", "valid-literal")).startsWith("from [192.0.2.1] ([127.0.0.1])");
    }

    private static String receivedFor(String greeting, String subject) throws Exception {
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.send((greeting + "\r\n").getBytes(StandardCharsets.UTF_8));
            String reply = c.reply();
            assertThat(reply).startsWith("250");
            c.transaction("a@remote.test", "b@example.com", subject);
        }
        Map<String, Object> row = server.onlyRowWithSubject(subject);
        String mail = new String((byte[]) row.get("mail"), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\r\nReceived: (.*?)\r\n(?![ \t])", Pattern.DOTALL).matcher(mail);
        assertThat(m.find()).as(mail).isTrue();
        return m.group(1).replaceAll("\r\n[ \t]+", " ");
    }

    /** The header with RFC 5322 comments (nested, with quoted-pairs) removed: what a parser reads as tokens. */
    private static String withoutComments(String s) {
        StringBuilder out = new StringBuilder();
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (depth > 0 && c == '\\') {
                i++;
            } else if (c == '(') {
                depth++;
            } else if (c == ')' && depth > 0) {
                depth--;
            } else if (depth == 0) {
                out.append(c);
            }
        }
        assertThat(depth).as("comments balanced in " + s).isZero();
        return out.toString().replaceAll(" +", " ");
    }
}
