package io.guerrilla.smtpd.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Postfix's XCLIENT over a raw socket, from a trusted and from an untrusted client. */
class XclientTest {
    private static TestServer trusting;
    private static TestServer untrusting;

    @BeforeAll
    static void start() throws Exception {
        trusting = TestServer.start(c -> c.xclientTrusted = List.of("127.0.0.1/32"));
        untrusting = TestServer.start(c -> c.xclientTrusted = List.of("192.0.2.0/24", "2001:db8::/32"));
    }

    @AfterAll
    static void stop() {
        trusting.close();
        untrusting.close();
    }

    @Test
    void trustedClientSetsAddressAndHelo() throws Exception {
        try (SmtpClient c = new SmtpClient(trusting.port())) {
            c.reply();
            assertThat(c.command("EHLO filter.local")).containsPattern("250[- ]XCLIENT NAME ADDR PORT PROTO HELO LOGIN");
            assertThat(c.command("XCLIENT NAME=[UNAVAILABLE] ADDR=203.0.113.9 PORT=41000 HELO=relay.example.net"))
                    .isEqualTo("220 mx.test.local ESMTP Guerrilla SMTPd");
            assertThat(c.command("MAIL FROM:<x@client.test>")).as("the session started over")
                    .isEqualTo("503 5.5.1 Error: send HELO/EHLO first");
            assertThat(c.command("EHLO filter.local")).startsWith("250-");
            c.transaction("x@client.test", "xclient@example.com", "xclient-v4");
        }
        Map<String, Object> row = trusting.onlyRowWithSubject("xclient-v4");
        assertThat(row.get("ip_addr")).isEqualTo("203.0.113.9");
        assertThat(new String((byte[]) row.get("mail"), StandardCharsets.UTF_8))
                .contains("Received: from relay.example.net ([203.0.113.9])\r\n\tby mx.test.local (guerrillad node-t) with ESMTP id");
    }

    @Test
    void messageLinesLogTheStoredAddressConnectionLinesThePeer() throws Exception {
        Logger handlerLog = (Logger) LoggerFactory.getLogger(SmtpSessionHandler.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        handlerLog.addAppender(lines);
        try {
            try (SmtpClient c = new SmtpClient(trusting.port())) {
                c.reply();
                c.command("EHLO filter.local");
                c.command("XCLIENT ADDR=203.0.113.7");
                c.command("EHLO filter.local");
                c.transaction("x@client.test", "xclient@example.com", "xclient-logged");
            }
            assertThat(trusting.onlyRowWithSubject("xclient-logged").get("ip_addr")).isEqualTo("203.0.113.7");
            List<ILoggingEvent> events;
            synchronized (lines) {
                events = List.copyOf(lines.list);
            }
            assertThat(clientOf(events, "message stored")).isEqualTo("203.0.113.7");
            assertThat(clientOf(events, "connection opened")).isEqualTo("127.0.0.1");
        } finally {
            handlerLog.detachAppender(lines);
        }
    }

    private static Object clientOf(List<ILoggingEvent> events, String message) {
        ILoggingEvent line = events.stream().filter(e -> e.getMessage().equals(message)).findFirst().orElseThrow();
        return line.getKeyValuePairs().stream().filter(kv -> kv.key.equals("client")).findFirst().orElseThrow().value;
    }

    @Test
    void ipv6AddressAndProto() throws Exception {
        try (SmtpClient c = new SmtpClient(trusting.port())) {
            c.reply();
            c.command("EHLO filter.local");
            assertThat(c.command("XCLIENT ADDR=IPV6:2001:DB8:0::9 PROTO=SMTP")).startsWith("220 ");
            c.command("EHLO filter.local");
            c.transaction("x@client.test", "xclient@example.com", "xclient-v6");
        }
        Map<String, Object> row = trusting.onlyRowWithSubject("xclient-v6");
        assertThat(row.get("ip_addr")).isEqualTo("2001:db8::9");
        assertThat(new String((byte[]) row.get("mail"), StandardCharsets.UTF_8)).contains(" with SMTP id ");
    }

    @Test
    void notInsideATransaction() throws Exception {
        try (SmtpClient c = new SmtpClient(trusting.port())) {
            c.reply();
            c.command("EHLO filter.local");
            c.command("MAIL FROM:<x@client.test>");
            assertThat(c.command("XCLIENT ADDR=203.0.113.9")).isEqualTo("503 5.5.1 Error: MAIL transaction in progress");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"XCLIENT", "XCLIENT FOO=bar", "XCLIENT ADDR", "XCLIENT ADDR=203.0.113.256",
            "XCLIENT ADDR=mail.example.com", "XCLIENT ADDR=IPV6:1.2.3.4", "XCLIENT HELO=a+0D+0AX-Injected:+20yes",
            "XCLIENT HELO=bad+zz", "XCLIENT PROTO=LMTP", "XCLIENT PORT=70000"})
    void malformedAttributesAre501(String line) throws Exception {
        try (SmtpClient c = new SmtpClient(trusting.port())) {
            c.reply();
            assertThat(c.command(line)).startsWith("501 5.5.4 ");
            assertThat(c.command("EHLO still.in.sync")).startsWith("250-mx.test.local");
        }
    }

    @Test
    void untrustedClientIsNotOfferedXclientAndIsRefused() throws Exception {
        try (SmtpClient c = new SmtpClient(untrusting.port())) {
            c.reply();
            assertThat(c.command("EHLO client.test")).doesNotContain("XCLIENT");
            assertThat(c.command("XCLIENT ADDR=203.0.113.9")).isEqualTo("550 5.7.0 Error: insufficient authorization");
            c.transaction("x@client.test", "xclient@example.com", "xclient-refused");
        }
        assertThat(untrusting.onlyRowWithSubject("xclient-refused").get("ip_addr")).isEqualTo("127.0.0.1");
    }
}
