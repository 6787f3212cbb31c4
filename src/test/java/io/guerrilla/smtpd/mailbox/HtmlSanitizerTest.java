package io.guerrilla.smtpd.mailbox;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Hostile HTML comes out inert; ordinary mail formatting survives. */
class HtmlSanitizerTest {

    /** Markers that would make the output active if any survived, in any letter case. */
    static final String[] ACTIVE = {"<script", "onerror", "onload", "onclick", "onmouseover", "javascript:",
            "expression(", "<form", "<input", "<meta", "<svg", "<iframe", "<object", "<embed", "<style", "<link",
            "<base", "url(", "http://evil", "vbscript:", "data:text/html", "srcdoc", "formaction"};

    @ParameterizedTest
    @ValueSource(strings = {
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<body onload=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
            "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
            "<div style=\"width: expression(alert(1))\">x</div>",
            "<div style=\"background:url(http://evil/x.png)\">x</div>",
            "<form action=http://evil><input name=p><button formaction=http://evil>go</button></form>",
            "<meta http-equiv=\"refresh\" content=\"0;url=http://evil/\">",
            "<svg><script>alert(1)</script></svg>",
            "<svg onload=alert(1)><circle/></svg>",
            "<img src=\"http://evil/track.png\">",
            "<img src=\"https://evil/track.png\" width=1 height=1>",
            "<iframe src=\"http://evil/\"></iframe>",
            "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
            "<object data=\"http://evil/x.swf\"></object><embed src=\"http://evil/x\">",
            "<style>body{background:url(http://evil/)}</style>",
            "<link rel=stylesheet href=http://evil/x.css>",
            "<base href=\"http://evil/\">",
            "<a href=\"vbscript:msgbox(1)\">x</a>",
            "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
            "<table background=\"http://evil/x.png\"><tr><td>x</td></tr></table>",
            "<p onmouseover=\"alert(1)\">hover</p>",
            "<<script>alert(1)//<</script>",
            "<scr<script>ipt>alert(1)</scr</script>ipt>"})
    void hostileMarkupComesOutInert(String hostile) {
        String out = HtmlSanitizer.sanitize(hostile).toLowerCase();
        for (String marker : ACTIVE) {
            assertThat(out).as("%s -> %s", hostile, out).doesNotContain(marker);
        }
    }

    @Test
    void ordinaryFormattingAndLinksSurvive() {
        String out = HtmlSanitizer.sanitize("<p>Hello <b>bold</b> <a href=\"https://example.com/x\">link</a></p>"
                + "<table><tr><td style=\"color:red\">cell</td></tr></table><img src=\"cid:logo@x\" alt=\"logo\">");
        assertThat(out).contains("<b>bold</b>", "href=\"https://example.com/x\"", "rel=\"nofollow\"", "<td",
                "color:red", "src=\"cid:logo&#64;x\"");
    }

    @Test
    void remoteImagesOnlyWhenAskedAndNothingElseWithThem() {
        String mail = "<img src=\"https://tracker.example/p.png\" onerror=\"alert(1)\"><script>alert(1)</script>"
                + "<div style=\"background:url(https://tracker.example/bg.png)\">x</div>";
        assertThat(HtmlSanitizer.sanitize(mail)).doesNotContain("tracker.example");
        String shown = HtmlSanitizer.sanitizeWithRemoteImages(mail);
        assertThat(shown).contains("<img src=\"https://tracker.example/p.png\"");
        assertThat(shown).doesNotContain("onerror", "<script", "bg.png", "url(");
        assertThat(HtmlSanitizer.sanitizeWithRemoteImages("<img src=\"javascript:alert(1)\">")).doesNotContain("javascript");
    }
}
