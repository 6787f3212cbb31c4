package io.guerrilla.smtpd.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Test messages shaped like smtp-source's and like real mail: a header section, then 76-octet lines. */
final class Messages {
    private Messages() {
    }

    static final String HEADERS = """
            Received: from mail-relay.example.net (mail-relay.example.net [192.0.2.10])\r
            \tby mx.example.com with ESMTPS id 4Xyz123 for <alice@example.com>; Sun, 29 Nov 2026 05:00:00 +0000\r
            DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=s1; h=from:to:subject:date;\r
            \tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ==\r
            From: "Sender Name" <sender@example.net>\r
            To: Alice <alice@example.com>\r
            Subject: =?UTF-8?B?SMOpbGxvIHfDtnJsZA==?= weekly report\r
            Date: Sun, 29 Nov 2026 05:00:00 +0000\r
            Message-ID: <20261129050000.abc123@example.net>\r
            MIME-Version: 1.0\r
            Content-Type: multipart/alternative; boundary="b1"; charset="UTF-8"\r
            \r
            """;

    /** The message as it is stored: CRLF lines, no dot-stuffing, {@code size} octets or a little more. */
    static byte[] content(int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 128);
        out.writeBytes(HEADERS.getBytes(StandardCharsets.US_ASCII));
        int i = 0;
        while (out.size() < size) {
            // Every 20th line starts with a dot, so the framer has dot-stuffing to undo.
            String line = (i % 20 == 0 ? "." : "") + Integer.toString(i, 36) + " " + "x".repeat(70) + "\r\n";
            out.writeBytes(line.getBytes(StandardCharsets.US_ASCII));
            i++;
        }
        return out.toByteArray();
    }

    /** The same message on the wire: dot-stuffed and ended by CRLF.CRLF. */
    static byte[] wire(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 256);
        boolean lineStart = true;
        for (byte b : content) {
            if (lineStart && b == '.') {
                out.write('.');
            }
            out.write(b);
            lineStart = b == '\n';
        }
        out.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
