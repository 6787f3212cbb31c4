package io.guerrilla.smtpd.mail;

import io.guerrilla.smtpd.support.DefaultLocale;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class QueueIdsTest {

    @Test
    void idsAreAsciiUnderATurkishDefaultLocale() {
        DefaultLocale.with(DefaultLocale.TURKISH, () -> {
            assertThat("i".toUpperCase()).as("the locale that would break it").isEqualTo("\u0130");
            Set<String> ids = new HashSet<>();
            // 36 in a row: the counter's last base-36 digit takes every value, 'i' included.
            for (int n = 0; n < 36; n++) {
                ids.add(QueueIds.next());
            }
            assertThat(ids).hasSize(36).allMatch(id -> id.matches("[0-9A-Z]+"), "upper-case ASCII letters and digits");
        });
    }
}
