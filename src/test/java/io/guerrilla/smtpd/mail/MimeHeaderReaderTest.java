package io.guerrilla.smtpd.mail;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

class MimeHeaderReaderTest {

    private static ParsedHeaders extract(String message) {
        return extract(message.getBytes(StandardCharsets.UTF_8));
    }

    private static ParsedHeaders extract(byte[] message) {
        return MimeHeaderReader.extract(new ByteArrayInputStream(message));
    }

    private static String crlf(String... lines) {
        return String.join("\r\n", lines);
    }

    @Test
    void plainMessage() {
        ParsedHeaders h = extract(crlf(
                "Return-Path: <bounce@example.org>",
                "From: alice@example.com",
                "To: bob@example.net",
                "Subject: Hello there",
                "Message-ID: <1234.abcd@example.com>",
                "Content-Type: text/plain; charset=us-ascii",
                "",
                "Body text.",
                ""));

        assertThat(h).isEqualTo(new ParsedHeaders(
                "alice@example.com", "Hello there", "us-ascii", "text/plain", false,
                "1234.abcd@example.com", "", "", "bounce@example.org"));
    }

    @Test
    void fromWithDisplayName() {
        assertThat(extract(crlf("From: Alice Example <alice@example.com>", "", "")).from())
                .isEqualTo("alice@example.com");
    }

    @Test
    void fromWithQuotedDisplayNameContainingComma() {
        assertThat(extract(crlf("From: \"Example, Alice\" <alice@example.com>, bob@example.net", "", "")).from())
                .isEqualTo("alice@example.com");
    }

    @Test
    void fromWithRawUtf8DisplayName() {
        // Mime4j's parseAddressList(CharSequence) would cut this to "eleve@example.f".
        assertThat(extract(crlf("From: Élève Ünïcode <eleve@example.fr>", "", "")).from())
                .isEqualTo("eleve@example.fr");
    }

    @Test
    void fromWithEncodedWordDisplayName() {
        assertThat(extract(crlf("From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.de>", "", "")).from())
                .isEqualTo("juergen@example.de");
    }

    @Test
    void unparsableFromKeepsRawValueTrimmed() {
        assertThat(extract(crlf("From:    not an address   ", "", "")).from()).isEqualTo("not an address");
    }

    @Test
    void unparsableFromIsCapped() {
        String junk = "x".repeat(1000);
        assertThat(extract(crlf("From: " + junk, "", "")).from()).hasSize(255);
    }

    @Test
    void subjectBase64Utf8() {
        assertThat(extract(crlf("Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=", "", "")).subject())
                .isEqualTo("Grüße aus Köln");
    }

    @Test
    void subjectQuotedPrintableUtf8() {
        assertThat(extract(crlf("Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=", "", "")).subject())
                .isEqualTo("Grüße aus Köln");
    }

    @Test
    void subjectIso88591() {
        assertThat(extract(crlf("Subject: =?ISO-8859-1?Q?caf=E9?= au lait", "", "")).subject())
                .isEqualTo("café au lait");
    }

    @Test
    void subjectSplitOverTwoFoldedEncodedWords() {
        // RFC 2047 6.2: whitespace between adjacent encoded words is not displayed.
        ParsedHeaders h = extract(crlf(
                "Subject: =?UTF-8?B?R3LDvMOfZSA=?=",
                " =?UTF-8?Q?aus_K=C3=B6ln?=",
                "", ""));
        assertThat(h.subject()).isEqualTo("Grüße aus Köln");
    }

    @Test
    void subjectRawUtf8() {
        assertThat(extract(crlf("Subject: Привет, мир 👋", "", "")).subject()).isEqualTo("Привет, мир 👋");
    }

    @Test
    void subjectRawLatin1WhenNotValidUtf8() {
        byte[] message = crlf("Subject: caf\u00e9", "", "").getBytes(StandardCharsets.ISO_8859_1);
        assertThat(extract(message).subject()).isEqualTo("café");
    }

    @Test
    void foldedSubject() {
        ParsedHeaders h = extract(crlf("Subject: a long", " subject that", "\tis folded", "", ""));
        assertThat(h.subject()).isEqualTo("a long subject that\tis folded");
    }

    @Test
    void subjectControlCharactersRemoved() {
        // The encoded NUL and LF would otherwise survive into storage.
        assertThat(extract(crlf("Subject: a\u0007b=?UTF-8?Q?c=00d=0Ae?=", "", "")).subject())
                .isEqualTo("abcde");
    }

    @Test
    void subjectCappedWithoutSplittingSurrogatePair() {
        String subject = "a".repeat(254) + "😀" + "tail";
        String got = extract(crlf("Subject: " + subject, "", "")).subject();
        assertThat(got).isEqualTo("a".repeat(254));

        String fits = "a".repeat(253) + "😀" + "tail";
        assertThat(extract(crlf("Subject: " + fits, "", "")).subject()).isEqualTo("a".repeat(253) + "😀");
    }

    @Test
    void missingHeadersGiveEmptyStringsAndTextPlain() {
        ParsedHeaders h = extract(crlf("X-Other: 1", "", "body"));
        assertThat(h).isEqualTo(ParsedHeaders.EMPTY);
        assertThat(h.contentType()).isEqualTo("text/plain");
        assertThat(h.charset()).isEmpty();
    }

    @Test
    void emptyInputGivesEmpty() {
        assertThat(extract(new byte[0])).isEqualTo(ParsedHeaders.EMPTY);
        assertThat(extract("\r\nSubject: body only\r\n")).isEqualTo(ParsedHeaders.EMPTY);
    }

    @Test
    void contentTypeWithQuotedUpperCaseCharset() {
        ParsedHeaders h = extract(crlf("Content-Type: Text/HTML; format=flowed; CHARSET=\"UTF-8\"", "", ""));
        assertThat(h.contentType()).isEqualTo("text/html");
        assertThat(h.charset()).isEqualTo("utf-8");
    }

    @Test
    void contentTypeWithoutCharsetDoesNotInventOne() {
        ParsedHeaders h = extract(crlf("Content-Type: text/plain", "", ""));
        assertThat(h.contentType()).isEqualTo("text/plain");
        assertThat(h.charset()).isEmpty();
    }

    @Test
    void invalidContentTypeFallsBackToTextPlain() {
        assertThat(extract(crlf("Content-Type: garbage", "", "")).contentType()).isEqualTo("text/plain");
    }

    @Test
    void contentTypeLowerCasedIndependentOfDefaultLocale() {
        Locale saved = Locale.getDefault();
        Locale.setDefault(Locale.forLanguageTag("tr-TR"));
        try {
            ParsedHeaders h = extract(crlf("Content-Type: MULTIPART/MIXED; BOUNDARY=x", "", ""));
            assertThat(h.contentType()).isEqualTo("multipart/mixed");
            assertThat(h.hasAttachment()).isTrue();
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void multipartMixedHasAttachment() {
        ParsedHeaders h = extract(crlf(
                "Content-Type: multipart/mixed;",
                "\tboundary=\"----=_Part_0\"",
                "",
                "------=_Part_0",
                "Content-Type: text/plain",
                "",
                "hi",
                "------=_Part_0--",
                ""));
        assertThat(h.contentType()).isEqualTo("multipart/mixed");
        assertThat(h.hasAttachment()).isTrue();
    }

    @Test
    void contentDispositionAttachmentHasAttachment() {
        ParsedHeaders h = extract(crlf(
                "Content-Type: application/pdf; name=report.pdf",
                "Content-Disposition: Attachment; filename=\"report.pdf\"",
                "", ""));
        assertThat(h.contentType()).isEqualTo("application/pdf");
        assertThat(h.hasAttachment()).isTrue();
    }

    @Test
    void multipartAlternativeHasNoAttachment() {
        ParsedHeaders h = extract(crlf(
                "Content-Type: multipart/alternative; boundary=b",
                "Content-Disposition: inline",
                "", ""));
        assertThat(h.contentType()).isEqualTo("multipart/alternative");
        assertThat(h.hasAttachment()).isFalse();
    }

    @Test
    void messageIdBracketsStripped() {
        assertThat(extract(crlf("Message-ID:   <abc.123@mail.example.com>  ", "", "")).messageId())
                .isEqualTo("abc.123@mail.example.com");
        assertThat(extract(crlf("Message-Id: no-brackets@example.com", "", "")).messageId())
                .isEqualTo("no-brackets@example.com");
        assertThat(extract(crlf("Message-ID:", " <folded@example.com>", "", "")).messageId())
                .isEqualTo("folded@example.com");
    }

    @Test
    void replyToSenderReturnPath() {
        ParsedHeaders h = extract(crlf(
                "Return-Path: <bounces+123@lists.example.org>",
                "From: List <list@example.org>",
                "Sender: \"List Robot\" <owner@lists.example.org>",
                "Reply-To: Team <team@example.org>, other@example.org",
                "", ""));
        assertThat(h.returnPath()).isEqualTo("bounces+123@lists.example.org");
        assertThat(h.sender()).isEqualTo("owner@lists.example.org");
        assertThat(h.replyTo()).isEqualTo("team@example.org");
    }

    @Test
    void nullReturnPathIsEmpty() {
        assertThat(extract(crlf("Return-Path: <>", "", "")).returnPath()).isEmpty();
    }

    @Test
    void firstOccurrenceWins() {
        ParsedHeaders h = extract(crlf("Subject: first", "From: a@example.com", "Subject: second",
                "From: b@example.com", "", ""));
        assertThat(h.subject()).isEqualTo("first");
        assertThat(h.from()).isEqualTo("a@example.com");
    }

    @Test
    void headerNamesAreCaseInsensitive() {
        ParsedHeaders h = extract(crlf("FROM: a@example.com", "sUbJeCt: hi", "", ""));
        assertThat(h.from()).isEqualTo("a@example.com");
        assertThat(h.subject()).isEqualTo("hi");
    }

    @Test
    void oneMebibyteHeaderSectionIsCutAtTheCapQuickly() {
        StringBuilder sb = new StringBuilder("From: a@example.com\r\n");
        int i = 0;
        while (sb.length() < 1024 * 1024) {
            sb.append("X-Filler-").append(i++).append(": ").append("v".repeat(60)).append("\r\n");
        }
        sb.append("Subject: beyond the cap\r\n\r\nbody\r\n");
        byte[] message = sb.toString().getBytes(StandardCharsets.US_ASCII);

        long start = System.nanoTime();
        ParsedHeaders h = extract(message);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(h.from()).isEqualTo("a@example.com");
        assertThat(h.subject()).isEmpty();
        assertThat(millis).isLessThan(2_000);
    }

    @Test
    void singleHugeHeaderLineDoesNotThrow() {
        byte[] message = ("Subject: " + "x".repeat(1024 * 1024) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        assertThat(extract(message).subject()).hasSize(255);
    }

    @Test
    void streamIsReadNoFurtherThanTheCap() {
        byte[] message = ("X-Big: " + "x".repeat(2 * MimeHeaderReader.DEFAULT_MAX_HEADER_BYTES)).getBytes(
                StandardCharsets.US_ASCII);
        CountingInputStream in = new CountingInputStream(new ByteArrayInputStream(message));
        MimeHeaderReader.extract(in);
        assertThat(in.count).isLessThanOrEqualTo(MimeHeaderReader.DEFAULT_MAX_HEADER_BYTES);
    }

    @Test
    void bodyIsNotParsed() {
        ParsedHeaders h = extract(crlf(
                "From: a@example.com",
                "",
                "Subject: not a header",
                "Content-Type: multipart/mixed; boundary=x",
                "Message-ID: <body@example.com>",
                ""));
        assertThat(h.subject()).isEmpty();
        assertThat(h.contentType()).isEqualTo("text/plain");
        assertThat(h.hasAttachment()).isFalse();
        assertThat(h.messageId()).isEmpty();
    }

    @Test
    void linesWithoutColonAreSkipped() {
        ParsedHeaders h = extract(crlf(
                "From sender@example.com Mon Jan  1 12:00:00 2024",
                "this line has no colon",
                "Subject: still found",
                "", ""));
        assertThat(h.subject()).isEqualTo("still found");
    }

    @Test
    void binaryGarbageDoesNotThrow() {
        Random random = new Random(42);
        for (int round = 0; round < 500; round++) {
            byte[] garbage = new byte[random.nextInt(8192)];
            random.nextBytes(garbage);
            assertThatCode(() -> extract(garbage)).doesNotThrowAnyException();
        }
    }

    @Test
    void headerShapedGarbageDoesNotThrow() {
        String[] pieces = {"From:", "Subject:", "Content-Type:", "Content-Disposition:", "Message-ID:",
            "Reply-To:", "Sender:", "Return-Path:", "<", ">", "<>", "@", "\"", "(", ")", ";", ",", ":", "=?",
            "?=", "=?UTF-8?B?", "=?x?Q?", "\r\n", "\n", "\r", " ", "\t", "\u0000", "\u00e9", "\uD83D\uDE00",
            "a", "multipart/mixed", "charset=", "\\"};
        Random random = new Random(7);
        for (int round = 0; round < 2000; round++) {
            StringBuilder sb = new StringBuilder();
            int n = random.nextInt(60);
            for (int i = 0; i < n; i++) {
                sb.append(pieces[random.nextInt(pieces.length)]);
            }
            String message = sb.toString();
            assertThatCode(() -> extract(message)).as(message).doesNotThrowAnyException();
        }
    }

    @Test
    void bareLfLineEndings() {
        ParsedHeaders h = extract(String.join("\n",
                "From: Alice <alice@example.com>",
                "Subject: folded",
                " with LF",
                "Content-Type: text/plain; charset=ISO-8859-1",
                "",
                "Subject: body",
                ""));
        assertThat(h.from()).isEqualTo("alice@example.com");
        assertThat(h.subject()).isEqualTo("folded with LF");
        assertThat(h.charset()).isEqualTo("iso-8859-1");
    }

    @Test
    void everyFieldFromOneStream() {
        String message = crlf(
                "Return-Path: <r@example.org>",
                "From: \"A, B\" <ab@example.com>",
                "Sender: s@example.com",
                "Reply-To: r@example.com",
                "Subject: =?UTF-8?B?w6k=?= and raw é",
                "Message-ID: <id@example.com>",
                "Content-Type: multipart/mixed; boundary=z; charset=UTF-8",
                "",
                "Subject: body",
                "");
        ParsedHeaders fromStream = MimeHeaderReader.extract(new ByteArrayInputStream(message.getBytes(StandardCharsets.UTF_8)));

        assertThat(fromStream).isEqualTo(new ParsedHeaders(
                "ab@example.com", "é and raw é", "utf-8", "multipart/mixed", true,
                "id@example.com", "r@example.com", "s@example.com", "r@example.org"));
    }

    @Test
    void streamFailureIsReportedNotSwallowed() {
        InputStream failing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("disk gone");
            }
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MimeHeaderReader.extract(failing))
                .isInstanceOf(UncheckedIOException.class);
    }

    private static final class CountingInputStream extends java.io.FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
