package io.guerrilla.smtpd.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TerminalTextTest {

    @Test
    void visibleKeepsLinesAndTabsAndShowsEverythingElse() {
        assertThat(TerminalText.visible("a\r\nb\tc\u001b[31m\rd\u007f\u009b\u202E\u2028é"))
                .isEqualTo("a\nb\tc^[[31m^Md^?<U+009B><U+202E><U+2028>é");
    }

    @Test
    void columnIsOneLineCutToItsWidth() {
        assertThat(TerminalText.column("a\nb\u00A0c", 30)).isEqualTo("a^Jb c");
        assertThat(TerminalText.column("0123456789", 5)).isEqualTo("0123…");
        assertThat(TerminalText.column("😀😀😀", 3)).isEqualTo("😀😀😀");
        assertThat(TerminalText.column(null, 3)).isEmpty();
    }
}
