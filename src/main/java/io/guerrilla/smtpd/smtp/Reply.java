package io.guerrilla.smtpd.smtp;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One SMTP reply, possibly multi-line. The wire form is computed once, in the constructor, because
 * most replies are constants sent millions of times; a final field also makes it safe to share the
 * constants across event loops.
 *
 * <p>The enhanced status code (RFC 3463, advertised by ENHANCEDSTATUSCODES, RFC 2034) prefixes every
 * text line; it is null for the greeting and the EHLO response, which RFC 2034 section 3 exempts.
 */
public final class Reply {
    private final int code;
    private final String enhancedCode;
    private final List<String> lines;
    private final byte[] wire;

    public Reply(int code, String enhancedCode, List<String> lines) {
        if (code < 200 || code > 599 || lines.isEmpty()) {
            throw new IllegalArgumentException("bad reply " + code + " " + lines);
        }
        this.code = code;
        this.enhancedCode = enhancedCode;
        this.lines = List.copyOf(lines);
        this.wire = encode(code, enhancedCode, this.lines);
    }

    public static Reply of(int code, String enhancedCode, String text) {
        return new Reply(code, enhancedCode, List.of(text));
    }

    public int code() {
        return code;
    }

    public String enhancedCode() {
        return enhancedCode;
    }

    public List<String> lines() {
        return lines;
    }

    public boolean isPositive() {
        return code < 400;
    }

    /** The reply as sent: each line CRLF-terminated, "-" after the code on all but the last line. */
    public byte[] wire() {
        return wire;
    }

    private static byte[] encode(int code, String enhancedCode, List<String> lines) {
        StringBuilder sb = new StringBuilder(64);
        for (int i = 0; i < lines.size(); i++) {
            sb.append(code).append(i == lines.size() - 1 ? ' ' : '-');
            if (enhancedCode != null) {
                sb.append(enhancedCode).append(' ');
            }
            sb.append(lines.get(i)).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return new String(wire(), StandardCharsets.UTF_8).trim();
    }
}
