package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.codec.BareNewlinePolicy;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SMTP smuggling (CVE-2023-51764 and relatives) over a real socket: each end-of-data look-alike is
 * sent inside a body, followed by a whole second transaction and only then the real CRLF.CRLF.
 * Under both bare_newline policies at most one message is stored, the smuggled commands get no
 * replies of their own, and the smuggled recipient never gets a row. The framer's own unit test
 * (SmtpFramerTest) checks the same sequences byte by byte.
 */
class SmugglingTest {
    /** The end-of-data look-alikes of the SMTP smuggling reports (CVE-2023-51764/5/6), as (label, bytes). */
    private static final List<String[]> SEQUENCES = List.of(
            new String[] {"LF.LF", "\n.\n"},
            new String[] {"CR.CR", "\r.\r"},
            new String[] {"CR.LF", "\r.\n"},
            new String[] {"LF.CR", "\n.\r"},
            new String[] {"LF.CRLF", "\n.\r\n"},
            new String[] {"CRLF.LF", "\r\n.\n"},
            new String[] {"CR.CRLF", "\r.\r\n"},
            new String[] {"CRLF.CR", "\r\n.\r"},
            new String[] {"CRLF-NUL.CRLF", "\r\n\0.\r\n"},
            new String[] {"CRLF.CR-CRLF", "\r\n.\r\r\n"});

    private static TestServer normalize;
    private static TestServer reject;

    @BeforeAll
    static void start() throws Exception {
        normalize = TestServer.start(c -> c.bareNewline = BareNewlinePolicy.NORMALIZE);
        reject = TestServer.start(c -> c.bareNewline = BareNewlinePolicy.REJECT);
    }

    @AfterAll
    static void stop() {
        normalize.close();
        reject.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String policy : List.of("normalize", "reject")) {
            for (int i = 0; i < SEQUENCES.size(); i++) {
                all.add(Arguments.of(policy, i, SEQUENCES.get(i)[0]));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("cases")
    void smuggledTransactionNeverGetsThrough(String policy, int index, String label) throws Exception {
        TestServer server = policy.equals("normalize") ? normalize : reject;
        String seq = SEQUENCES.get(index)[1];
        String id = policy + "-" + index;
        String victim = "victim-" + id + "@example.com";
        try (SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO smuggler.test");
            assertThat(c.command("MAIL FROM:<a@smuggler.test>")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("RCPT TO:<x@example.com>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("DATA")).startsWith("354 ");
            c.send("Subject: outer-" + id + "\r\n\r\nhello" + seq
                    + "MAIL FROM:<evil@smuggler.test>\r\nRCPT TO:<" + victim + ">\r\nDATA\r\n"
                    + "Subject: smuggled-" + id + "\r\n\r\nsmuggled body\r\n"
                    + "\r\n.\r\nNOOP\r\n");
            String end = c.reply();
            boolean hasBareNewline = seq.replace("\r\n", "").matches("(?s).*[\r\n].*");
            if (policy.equals("reject") && hasBareNewline) {
                assertThat(end).isEqualTo("550 5.6.0 Error: bare <CR> or <LF> in message; lines must end with <CR><LF>");
            } else {
                assertThat(end).startsWith("250 2.0.0 Ok: queued as ");
            }
            assertThat(c.reply()).as("the next reply is the NOOP's, none for smuggled commands").isEqualTo("250 2.0.0 Ok");
            assertThat(c.drain(100)).isEmpty();
        }
        assertThat(server.rowsContaining("outer-" + id)).hasSizeLessThanOrEqualTo(1)
                .allSatisfy(row -> {
                    assertThat(row.get("recipient")).isEqualTo("x@example.com");
                    assertThat(TestServer.mail(row)).contains("smuggled-" + id);
                });
        assertThat(server.rows()).noneMatch(row -> victim.equals(row.get("recipient")));
        assertThat(server.rowsContaining("smuggled-" + id)).hasSizeLessThanOrEqualTo(1);
    }
}
