package io.guerrilla.smtpd.smtp;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SessionStateMachineTest {
    private static final SessionPolicy POLICY = new SessionPolicy("mx.test", new AllowedHosts(List.of("example.com", "*.example.org")),
            1000, 3, 5, 1000);
    private SessionStateMachine sm;

    @BeforeEach
    void setUp() {
        sm = new SessionStateMachine(POLICY);
    }

    private Outcome cmd(String line) {
        return sm.handle(SmtpCommand.parse(line));
    }

    private String reply(String line) {
        return cmd(line).reply().toString();
    }

    private void inTransaction() {
        reply("EHLO client.example");
        reply("MAIL FROM:<a@sender.example>");
        reply("RCPT TO:<b@example.com>");
    }

    @Test
    void greetingNamesHost() {
        assertThat(sm.greeting().toString()).isEqualTo("220 mx.test ESMTP Guerrilla SMTPd");
    }

    @Test
    void ehloAdvertisesExtensionsWithoutEnhancedCodes() {
        Outcome o = cmd("EHLO client.example");
        assertThat(o.reply().code()).isEqualTo(250);
        assertThat(o.reply().lines()).containsExactly("mx.test", "SIZE 1000", "PIPELINING", "8BITMIME", "SMTPUTF8",
                "CHUNKING", "BINARYMIME", "ENHANCEDSTATUSCODES");
        assertThat(new String(o.reply().wire())).startsWith("250-mx.test\r\n250-SIZE 1000\r\n")
                .endsWith("250 ENHANCEDSTATUSCODES\r\n");
        assertThat(sm.state()).isEqualTo(SessionStateMachine.State.GREETED);
    }

    @Test
    void heloIsPlainSmtp() {
        assertThat(reply("HELO client.example")).isEqualTo("250 mx.test");
        assertThat(sm.isEsmtp()).isFalse();
        assertThat(sm.receivedProtocol()).isEqualTo("SMTP");
    }

    @ParameterizedTest
    @ValueSource(strings = {"HELO", "EHLO", "HELO  ", "EHLO "})
    void heloNeedsArgument(String line) {
        assertThat(reply(line)).isEqualTo("501 5.5.4 Syntax: HELO/EHLO hostname");
    }

    @Test
    void fullTransaction() {
        assertThat(reply("EHLO client.example")).startsWith("250-mx.test");
        assertThat(reply("MAIL FROM:<a@sender.example> SIZE=500 BODY=8BITMIME")).isEqualTo("250 2.1.0 Ok");
        assertThat(reply("RCPT TO:<b@example.com>")).isEqualTo("250 2.1.5 Ok");
        assertThat(reply("RCPT TO:<c@sub.example.org>")).isEqualTo("250 2.1.5 Ok");
        Outcome data = cmd("DATA");
        assertThat(data.reply().code()).isEqualTo(354);
        assertThat(data.action()).isEqualTo(Action.START_DATA);
        Outcome end = sm.endOfData(new DataResult(100, false, false, false));
        assertThat(end.action()).isEqualTo(Action.STORE);
        assertThat(end.reply()).isNull();
        assertThat(sm.mailFrom().toString()).isEqualTo("a@sender.example");
        assertThat(sm.recipients()).extracting(MailAddress::toString).containsExactly("b@example.com", "c@sub.example.org");
        assertThat(sm.receivedProtocol()).isEqualTo("ESMTP");
        Outcome stored = sm.stored(true, "ABC");
        assertThat(stored.reply().toString()).isEqualTo("250 2.0.0 Ok: queued as ABC");
        assertThat(sm.state()).isEqualTo(SessionStateMachine.State.GREETED);
        assertThat(sm.recipients()).isEmpty();
    }

    @Test
    void storeFailureIsTemporary() {
        inTransaction();
        cmd("DATA");
        sm.endOfData(new DataResult(10, false, false, false));
        assertThat(sm.stored(false, "X").reply().toString()).isEqualTo("451 4.3.0 Error: message not stored, try again later");
        assertThat(sm.state()).isEqualTo(SessionStateMachine.State.GREETED);
    }

    @Test
    void nullSenderAndPostmasterAccepted() {
        reply("EHLO c");
        assertThat(reply("MAIL FROM:<>")).isEqualTo("250 2.1.0 Ok");
        assertThat(reply("RCPT TO:<postmaster>")).isEqualTo("250 2.1.5 Ok");
        assertThat(sm.mailFrom().isNullSender()).isTrue();
    }

    @Test
    void relayDenied() {
        reply("EHLO c");
        reply("MAIL FROM:<a@b.c>");
        assertThat(reply("RCPT TO:<x@elsewhere.net>")).isEqualTo("550 5.7.1 Error: relay access denied");
        assertThat(reply("RCPT TO:<x@example.org>")).as("*.example.org does not match the bare domain")
                .startsWith("550 5.7.1");
        assertThat(reply("DATA")).isEqualTo("554 5.5.1 Error: no valid recipients");
    }

    @Test
    void domainMatchIsCaseInsensitive() {
        reply("EHLO c");
        reply("MAIL FROM:<a@b.c>");
        assertThat(reply("RCPT TO:<x@EXAMPLE.Com>")).isEqualTo("250 2.1.5 Ok");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "MAIL FROM:<a@b.c>|503 5.5.1 Error: send HELO/EHLO first",
        "RCPT TO:<a@example.com>|503 5.5.1 Error: send HELO/EHLO first",
        "DATA|503 5.5.1 Error: send HELO/EHLO first",
    })
    void orderBeforeHelo(String line, String expected) {
        assertThat(reply(line)).isEqualTo(expected);
    }

    @Test
    void orderAfterHelo() {
        reply("EHLO c");
        assertThat(reply("RCPT TO:<a@example.com>")).isEqualTo("503 5.5.1 Error: need MAIL command");
        assertThat(reply("DATA")).isEqualTo("503 5.5.1 Error: need MAIL command");
        reply("MAIL FROM:<a@b.c>");
        assertThat(reply("MAIL FROM:<a@b.c>")).isEqualTo("503 5.5.1 Error: nested MAIL command");
        assertThat(reply("DATA")).isEqualTo("503 5.5.1 Error: need RCPT command");
    }

    @Test
    void simpleCommands() {
        assertThat(reply("NOOP")).isEqualTo("250 2.0.0 Ok");
        assertThat(reply("noop anything")).isEqualTo("250 2.0.0 Ok");
        assertThat(reply("VRFY someone")).startsWith("252 2.5.2 ");
        assertThat(reply("VRFY")).isEqualTo("501 5.5.4 Syntax: VRFY address");
        assertThat(reply("HELP")).startsWith("214 2.0.0 ");
        assertThat(reply("RSET")).isEqualTo("250 2.0.0 Ok");
        assertThat(reply("RSET x")).isEqualTo("501 5.5.4 Syntax error: no parameters allowed");
        assertThat(reply("EXPN list")).isEqualTo("502 5.5.1 Error: command not implemented");
        assertThat(reply("FOO bar")).isEqualTo("500 5.5.2 Error: command not recognized");
    }

    @Test
    void rsetClearsTransaction() {
        inTransaction();
        assertThat(reply("RSET")).isEqualTo("250 2.0.0 Ok");
        assertThat(sm.recipients()).isEmpty();
        assertThat(reply("RCPT TO:<b@example.com>")).startsWith("503 5.5.1");
        assertThat(reply("MAIL FROM:<a@b.c>")).isEqualTo("250 2.1.0 Ok");
    }

    @Test
    void quitCloses() {
        Outcome o = cmd("QUIT");
        assertThat(o.reply().toString()).isEqualTo("221 2.0.0 Bye");
        assertThat(o.action()).isEqualTo(Action.CLOSE);
    }

    @Test
    void sizeParameterEnforced() {
        reply("EHLO c");
        assertThat(reply("MAIL FROM:<a@b.c> SIZE=1001")).isEqualTo("552 5.3.4 Error: message size exceeds fixed limit");
        assertThat(reply("MAIL FROM:<a@b.c> SIZE=99999999999999999999")).startsWith("552 5.3.4");
        assertThat(reply("MAIL FROM:<a@b.c> SIZE=1000")).isEqualTo("250 2.1.0 Ok");
    }

    @Test
    void parametersNeedEhloAndMustBeKnown() {
        reply("HELO c");
        assertThat(reply("MAIL FROM:<a@b.c> SIZE=10")).isEqualTo("555 5.5.4 Error: ESMTP parameters need EHLO");
        reply("EHLO c");
        assertThat(reply("MAIL FROM:<a@b.c> FOO=bar")).isEqualTo("555 5.5.4 Error: unsupported MAIL/RCPT parameter");
        assertThat(reply("MAIL FROM:<a@b.c> BODY=BASE64")).isEqualTo("501 5.5.4 Error: BODY must be 7BIT, 8BITMIME or BINARYMIME");
        reply("MAIL FROM:<a@b.c>");
        assertThat(reply("RCPT TO:<b@example.com> NOTIFY=NEVER")).startsWith("555 5.5.4");
    }

    @Test
    void utf8AddressesNeedSmtputf8() {
        reply("EHLO c");
        assertThat(reply("MAIL FROM:<jös@b.c>")).isEqualTo("553 5.6.7 Error: non-ASCII address requires SMTPUTF8");
        reply("MAIL FROM:<a@b.c>");
        assertThat(reply("RCPT TO:<jös@example.com>")).startsWith("553 5.6.7");
        reply("RSET");
        assertThat(reply("MAIL FROM:<jös@b.c> SMTPUTF8")).isEqualTo("250 2.1.0 Ok");
        assertThat(reply("RCPT TO:<ünï@example.com>")).isEqualTo("250 2.1.5 Ok");
        assertThat(sm.receivedProtocol()).isEqualTo("UTF8SMTP");
    }

    @Test
    void recipientLimit() {
        reply("EHLO c");
        reply("MAIL FROM:<a@b.c>");
        for (int i = 0; i < 3; i++) {
            assertThat(reply("RCPT TO:<r" + i + "@example.com>")).startsWith("250");
        }
        assertThat(reply("RCPT TO:<r9@example.com>")).isEqualTo("452 4.5.3 Error: too many recipients");
        assertThat(sm.recipients()).hasSize(3);
    }

    @Test
    void duplicateRecipientKeptOnce() {
        inTransaction();
        assertThat(reply("RCPT TO:<b@EXAMPLE.COM>")).startsWith("250");
        assertThat(sm.recipients()).hasSize(1);
    }

    @Test
    void dataRejections() {
        inTransaction();
        cmd("DATA");
        assertThat(sm.endOfData(new DataResult(2000, true, false, false)).reply().toString()).startsWith("552 5.3.4");
        assertThat(sm.state()).isEqualTo(SessionStateMachine.State.GREETED);
        inTransaction();
        cmd("DATA");
        assertThat(sm.endOfData(new DataResult(20, false, true, false)).reply().toString()).startsWith("550 5.6.0");
        inTransaction();
        cmd("DATA");
        assertThat(sm.endOfData(new DataResult(20, false, false, true)).reply().toString()).startsWith("552 5.6.0");
    }

    @Test
    void tooManyErrorsCloses() {
        for (int i = 0; i < 4; i++) {
            assertThat(cmd("BOGUS").action()).isEqualTo(Action.NONE);
        }
        Outcome last = cmd("BOGUS");
        assertThat(last.reply().toString()).isEqualTo("421 4.7.0 Error: too many errors, closing connection");
        assertThat(last.action()).isEqualTo(Action.CLOSE);
    }

    @Test
    void endOfDataOutsideDataIsABug() {
        assertThatThrownBy(() -> sm.endOfData(new DataResult(1, false, false, false))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void verbsAreCaseInsensitive() {
        assertThat(reply("ehlo c")).startsWith("250-mx.test");
        assertThat(reply("mail from:<a@b.c>")).isEqualTo("250 2.1.0 Ok");
        assertThat(reply("rCpT tO:<b@example.com>")).isEqualTo("250 2.1.5 Ok");
    }

    @Test
    void bdatChunksThenLastStores() {
        inTransaction();
        Outcome first = cmd("BDAT 10");
        assertThat(first.action()).isEqualTo(Action.READ_CHUNK);
        assertThat(first.reply()).as("the reply comes after the chunk").isNull();
        assertThat(sm.chunkSize()).isEqualTo(10);
        assertThat(sm.chunkAccepted()).isTrue();
        assertThat(sm.endOfChunk(new DataResult(10, false, false, false)).reply().toString())
                .isEqualTo("250 2.0.0 Ok: 10 octets received");
        assertThat(reply("DATA")).isEqualTo("503 5.5.1 Error: DATA and BDAT cannot be mixed in one transaction");
        assertThat(reply("MAIL FROM:<c@d.e>")).startsWith("503 5.5.1 Error: nested MAIL");
        cmd("BDAT 0 LAST");
        Outcome last = sm.endOfChunk(new DataResult(10, false, false, false));
        assertThat(last.action()).isEqualTo(Action.STORE);
        assertThat(sm.stored(true, "Q1").reply().toString()).isEqualTo("250 2.0.0 Ok: queued as Q1");
        assertThat(sm.state()).isEqualTo(SessionStateMachine.State.GREETED);
    }

    @Test
    void bdatOutsideATransactionIsReadThenRefused() {
        Outcome o = cmd("BDAT 5 LAST");
        assertThat(o.action()).isEqualTo(Action.READ_CHUNK);
        assertThat(sm.chunkAccepted()).isFalse();
        assertThat(sm.endOfChunk(new DataResult(0, false, false, false)).reply().toString())
                .isEqualTo("503 5.5.1 Error: send HELO/EHLO first");
        assertThat(sm.state()).isEqualTo(SessionStateMachine.State.CONNECTED);
    }

    @Test
    void oversizeChunkFailsTheTransaction() {
        inTransaction();
        cmd("BDAT 2000");
        assertThat(sm.endOfChunk(new DataResult(2000, true, false, false)).reply().toString()).startsWith("552 5.3.4");
        assertThat(sm.state()).isEqualTo(SessionStateMachine.State.GREETED);
    }

    @Test
    void maxMessagesPerConnectionClosesAtTheNextMail() {
        SessionStateMachine one = new SessionStateMachine(new SessionPolicy("mx.test", new AllowedHosts(List.of("example.com")),
                1000, 3, 5, 1));
        one.handle(SmtpCommand.parse("EHLO c"));
        one.handle(SmtpCommand.parse("MAIL FROM:<a@b.c>"));
        one.handle(SmtpCommand.parse("RCPT TO:<x@example.com>"));
        one.handle(SmtpCommand.parse("DATA"));
        one.endOfData(new DataResult(10, false, false, false));
        one.stored(true, "Q");
        Outcome o = one.handle(SmtpCommand.parse("MAIL FROM:<a@b.c>"));
        assertThat(o.reply().toString()).startsWith("421 4.7.0");
        assertThat(o.action()).isEqualTo(Action.CLOSE);
    }

    @Test
    void improperPipeliningAndBinaryClose() {
        assertThat(sm.improperPipelining().action()).isEqualTo(Action.CLOSE);
        assertThat(new SessionStateMachine(POLICY).rejectBinary().reply().toString()).startsWith("500 5.5.2");
    }
}
