package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.smtp.MailAddress;
import io.guerrilla.smtpd.support.DefaultLocale;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SqlRowsTest {

    @Test
    void toColumnIsLowerCasedTheSameUnderATurkishDefaultLocale() {
        DefaultLocale.with(DefaultLocale.TURKISH, () -> {
            assertThat("I".toLowerCase()).as("the locale that would break it").isEqualTo("\u0131");
            assertThat(new MailAddress("POSTMASTER", null).mailboxKey()).isEqualTo("postmaster");
            assertThat(new MailAddress("Info", "EXAMPLE.IT").mailboxKey()).isEqualTo("Info@example.it");
        });
    }
}
