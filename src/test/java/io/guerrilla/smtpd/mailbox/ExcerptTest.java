package io.guerrilla.smtpd.mailbox;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ExcerptTest {
    private static MessageParser.Parsed parse(String message) {
        return MessageParser.parse(message.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void whiteSpaceRunsBecomeOneSpaceAndTheEndsAreTrimmed() {
        assertThat(Excerpt.collapse("  \r\n Your\tcode\r\n\r\n is   123456. \n", 100)).isEqualTo("Your code is 123456.");
    }

    @Test
    void stopsAtTheLimitWithoutATrailingSpaceOrHalfASurrogatePair() {
        assertThat(Excerpt.collapse("abc def", 4)).isEqualTo("abc");
        assertThat(Excerpt.collapse("abc def", 5)).isEqualTo("abc d");
        assertThat(Excerpt.collapse("ab\uD83D\uDE00c", 3)).isEqualTo("ab");
        assertThat(Excerpt.collapse("word ".repeat(1_000_000), 120)).hasSize(119).startsWith("word word");
    }

    @Test
    void htmlOnlyMessagesGiveTheirTextWithoutScriptsStylesOrTags() {
        MessageParser.Parsed p = parse("Content-Type: text/html\r\n\r\n<style>p{color:red}</style><p>Hello <b>you</b></p>"
                + "<script>alert(1)</script>\r\n");
        assertThat(Excerpt.of(p, 100)).isEqualTo("Hello you");
    }

    @Test
    void theTextPartWinsOverTheHtmlPart() {
        MessageParser.Parsed p = parse("Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
                + "Content-Type: text/plain\r\n\r\nplain words\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>html words</p>\r\n--b--\r\n");
        assertThat(Excerpt.of(p, 100)).isEqualTo("plain words");
    }
}
