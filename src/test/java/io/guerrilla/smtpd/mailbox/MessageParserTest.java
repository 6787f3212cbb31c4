package io.guerrilla.smtpd.mailbox;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** MIME decoding as a mail client shows a message: transfer encodings, charsets, nesting, encoded names. */
class MessageParserTest {

    private static byte[] bytes(String s) {
        return s.replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void quotedPrintableLatin1TextAndBase64Utf8HtmlInNestedMultiparts() {
        String html = Base64.getMimeEncoder().encodeToString("<p>Grüße ✓</p>".getBytes(StandardCharsets.UTF_8));
        MessageParser.Parsed p = MessageParser.parse(bytes("""
                From: =?utf-8?B?SsO8cmdlbg==?= <j@x.test>
                Subject: =?iso-8859-1?q?caf=E9?= ok
                Content-Type: multipart/mixed; boundary=outer

                --outer
                Content-Type: multipart/alternative; boundary=inner

                --inner
                Content-Type: text/plain; charset=iso-8859-1
                Content-Transfer-Encoding: quoted-printable

                caf=E9 cr=E8me=
                 br=FBl=E9e
                --inner
                Content-Type: text/html; charset=utf-8
                Content-Transfer-Encoding: base64

                HTML_PART
                --inner--
                --outer
                Content-Type: application/octet-stream; name="=?utf-8?Q?r=C3=A9sum=C3=A9.pdf?="
                Content-Disposition: attachment
                Content-Transfer-Encoding: base64

                AAECAw==
                --outer
                Content-Type: text/plain
                Content-Disposition: attachment; filename*=utf-8''na%C3%AFve%20plan.txt

                plan
                --outer--
                """.replace("HTML_PART", html)));
        assertThat(p.headers()).anySatisfy(h -> {
            assertThat(h.name()).isEqualTo("From");
            assertThat(h.value()).isEqualTo("Jürgen <j@x.test>");
        });
        assertThat(p.headers()).anySatisfy(h -> assertThat(h.value()).isEqualTo("café ok"));
        assertThat(p.text()).startsWith("café crème brûlée");
        assertThat(p.html()).contains("<p>Grüße ✓</p>");
        assertThat(p.attachments()).extracting(MessageParser.Attachment::filename)
                .containsExactly("résumé.pdf", "naïve plan.txt");
        assertThat(p.attachments().get(0).size()).isEqualTo(4);
    }

    @Test
    void attachmentBytesAreDecodedAndMissingPartsAreEmpty() {
        byte[] msg = bytes("""
                Content-Type: multipart/mixed; boundary=b

                --b
                Content-Type: text/plain

                body
                --b
                Content-Type: image/png; name="../../etc/passwd"
                Content-Transfer-Encoding: base64

                AAECAw==
                --b--
                """);
        MessageParser.Download d = MessageParser.attachment(msg, 1).orElseThrow();
        assertThat(d.content()).containsExactly(0, 1, 2, 3);
        assertThat(d.attachment().filename()).isEqualTo("passwd");
        assertThat(MessageParser.attachment(msg, 7)).isEmpty();
    }

    @Test
    void eightBitHeadersAndUnlabelledUtf8BodyAreRead() {
        MessageParser.Parsed p = MessageParser.parse("Subject: Grüße aus Köln\r\n\r\nHallo Jürgen\r\n"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(p.headers()).anySatisfy(h -> assertThat(h.value()).isEqualTo("Grüße aus Köln"));
        assertThat(p.text()).startsWith("Hallo Jürgen");
    }

    @Test
    void brokenMimeYieldsWhatCanBeRead() {
        MessageParser.Parsed p = MessageParser.parse(bytes("""
                Content-Type: multipart/mixed; boundary=never-closed
                Content-Transfer-Encoding: base64

                --never-closed
                Content-Type: text/plain; charset=no-such-charset
                Content-Transfer-Encoding: quoted-printable

                broken =ZZ qp and =
                """));
        assertThat(p.text()).contains("broken");
    }

    @Test
    void safeFilenamesHaveNoPathsControlsOrLeadingDots() {
        assertThat(SafeFilename.of("..\\..\\windows\\system.ini", 0, "text/plain")).isEqualTo("system.ini");
        assertThat(SafeFilename.of("...hidden", 0, "text/plain")).isEqualTo("hidden");
        assertThat(SafeFilename.of("evil\u202Etxt.exe", 0, "text/plain")).isEqualTo("evil_txt.exe");
        assertThat(SafeFilename.of("a\r\nb\".txt", 0, "text/plain")).isEqualTo("a__b_.txt");
        assertThat(SafeFilename.of("", 3, "message/rfc822")).isEqualTo("part-3.eml");
        assertThat(SafeFilename.of("x".repeat(500), 0, "text/plain")).hasSize(SafeFilename.MAX_CHARS);
    }
}
