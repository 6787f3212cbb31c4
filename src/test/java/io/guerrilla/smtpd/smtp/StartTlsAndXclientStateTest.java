package io.guerrilla.smtpd.smtp;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The pure side of STARTTLS and XCLIENT: replies, actions and what the session remembers. */
class StartTlsAndXclientStateTest {
    private static final SessionPolicy POLICY = new SessionPolicy("mx.test", new AllowedHosts(List.of("example.com")),
            1000, 3, 50, 1000);
    private SessionStateMachine sm;

    @BeforeEach
    void setUp() {
        sm = new SessionStateMachine(POLICY);
        sm.connectedFrom("192.0.2.1");
    }

    private Outcome cmd(String line) {
        return sm.handle(SmtpCommand.parse(line));
    }

    private String reply(String line) {
        return cmd(line).reply().toString();
    }

    @Test
    void startTlsIsAnActionAndResetsTheSession() {
        sm.offerStartTls(true);
        assertThat(cmd("EHLO c.test").reply().lines()).endsWith("STARTTLS");
        Outcome o = cmd("STARTTLS");
        assertThat(o.reply().toString()).isEqualTo("220 2.0.0 Ready to start TLS");
        assertThat(o.action()).isEqualTo(Action.START_TLS);
        sm.resetForTls();
        assertThat(sm.state()).isEqualTo(SessionStateMachine.State.CONNECTED);
        assertThat(sm.helo()).isEmpty();
        assertThat(reply("MAIL FROM:<a@b.test>")).startsWith("503 5.5.1");
        assertThat(cmd("EHLO c.test").reply().lines()).doesNotContain("STARTTLS");
        assertThat(reply("STARTTLS")).isEqualTo("503 5.5.1 Error: TLS already active");
        assertThat(sm.receivedProtocol()).isEqualTo("ESMTPS");
    }

    @Test
    void startTlsRefusals() {
        assertThat(reply("STARTTLS")).isEqualTo("502 5.5.1 Error: command not implemented");
        sm.offerStartTls(true);
        assertThat(reply("STARTTLS x")).isEqualTo("501 5.5.4 Syntax error: no parameters allowed");
        reply("EHLO c.test");
        reply("MAIL FROM:<a@b.test>");
        assertThat(cmd("STARTTLS").action()).isEqualTo(Action.NONE);
    }

    @Test
    void xclientOverridesAddressHeloAndProtoUntilTheNextXclient() {
        sm.trustXclient(true);
        assertThat(cmd("EHLO filter.test").reply().lines()).contains("XCLIENT NAME ADDR PORT PROTO HELO LOGIN");
        assertThat(reply("XCLIENT ADDR=203.0.113.5 HELO=orig.example PROTO=SMTP LOGIN=bob+40x"))
                .isEqualTo(sm.greeting().toString());
        assertThat(sm.state()).isEqualTo(SessionStateMachine.State.CONNECTED);
        reply("EHLO filter.test");
        assertThat(sm.clientAddress()).isEqualTo("203.0.113.5");
        assertThat(sm.helo()).isEqualTo("orig.example");
        assertThat(sm.receivedProtocol()).isEqualTo("SMTP");
        reply("XCLIENT ADDR=[UNAVAILABLE] HELO=second.example");
        assertThat(sm.clientAddress()).as("[UNAVAILABLE] keeps what was known").isEqualTo("203.0.113.5");
        assertThat(sm.helo()).isEqualTo("second.example");
    }

    @Test
    void xclientFromAnUntrustedClientIsRefused() {
        reply("EHLO c.test");
        assertThat(cmd("EHLO c.test").reply().lines()).noneMatch(l -> l.startsWith("XCLIENT"));
        assertThat(reply("XCLIENT ADDR=203.0.113.5")).isEqualTo("550 5.7.0 Error: insufficient authorization");
        assertThat(sm.clientAddress()).isEqualTo("192.0.2.1");
    }

    @Test
    void xclientXtextIsDecodedAndControlsRefused() {
        sm.trustXclient(true);
        assertThat(reply("XCLIENT HELO=a+4")).startsWith("501 5.5.4 Bad XCLIENT HELO xtext");
        assertThat(reply("XCLIENT HELO=a+4g")).startsWith("501 5.5.4 Bad XCLIENT HELO xtext");
        assertThat(reply("XCLIENT HELO=+5B10.0.0.1+5D")).startsWith("220 ");
        assertThat(sm.helo()).isEqualTo("[10.0.0.1]");
        assertThat(reply("XCLIENT HELO=x+0Dy")).startsWith("501 5.5.4");
    }
}
