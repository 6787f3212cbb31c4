package io.guerrilla.smtpd.smtp;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RCPT with validate_process on: the machine asks (VALIDATE_RCPT), waits, and answers by the verdict. */
class RecipientValidationStateTest {
    private static final SessionPolicy POLICY = new SessionPolicy("mx.test", new AllowedHosts(List.of("example.com")),
            1000, 3, 5, 1000);
    private SessionStateMachine sm;

    @BeforeEach
    void setUp() {
        sm = new SessionStateMachine(POLICY);
        sm.setValidateRecipients(true);
        sm.handle(SmtpCommand.parse("EHLO client.example"));
        sm.handle(SmtpCommand.parse("MAIL FROM:<a@sender.example>"));
    }

    private Outcome rcpt(String address) {
        return sm.handle(SmtpCommand.parse("RCPT TO:<" + address + ">"));
    }

    @Test
    void allowedRecipientIsCheckedBeforeItIsAccepted() {
        Outcome asked = rcpt("Known@Example.com");
        assertThat(asked.action()).isEqualTo(Action.VALIDATE_RCPT);
        assertThat(asked.reply()).isNull();
        assertThat(sm.pendingRecipient().toString()).isEqualTo("Known@Example.com");
        assertThat(sm.recipients()).isEmpty();

        assertThat(sm.recipientValidated(RecipientVerdict.ACCEPT).reply().toString()).isEqualTo("250 2.1.5 Ok");
        assertThat(sm.recipients()).extracting(MailAddress::toString).containsExactly("Known@Example.com");
        assertThat(sm.pendingRecipient()).isNull();
        assertThat(sm.handle(SmtpCommand.parse("DATA")).action()).isEqualTo(Action.START_DATA);
    }

    @Test
    void rejectedRecipientGets550AndDataSaysNoValidRecipients() {
        rcpt("nobody@example.com");
        assertThat(sm.recipientValidated(RecipientVerdict.REJECT).reply().toString())
                .isEqualTo("550 5.1.1 Error: no such recipient here");
        assertThat(sm.recipients()).isEmpty();
        assertThat(sm.handle(SmtpCommand.parse("DATA")).reply().toString()).startsWith("554 5.5.1");
    }

    @Test
    void checkThatCouldNotAnswerGets451() {
        rcpt("slow@example.com");
        assertThat(sm.recipientValidated(RecipientVerdict.TEMPFAIL).reply().toString()).startsWith("451 4.3.0");
        assertThat(sm.recipients()).isEmpty();
    }

    @Test
    void relayAndLimitsAreDecidedWithoutAsking() {
        assertThat(rcpt("x@elsewhere.test").reply().toString()).startsWith("550 5.7.1");
        rcpt("a@example.com");
        sm.recipientValidated(RecipientVerdict.ACCEPT);
        assertThat(rcpt("a@EXAMPLE.COM").action()).as("a repeated recipient is not asked again").isEqualTo(Action.NONE);
    }

    @Test
    void verdictWithoutAQuestionIsABug() {
        assertThatThrownBy(() -> sm.recipientValidated(RecipientVerdict.ACCEPT)).isInstanceOf(IllegalStateException.class);
    }
}
