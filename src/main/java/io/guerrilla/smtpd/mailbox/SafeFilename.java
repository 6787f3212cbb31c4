package io.guerrilla.smtpd.mailbox;

import java.text.Normalizer;
import java.util.Locale;

/**
 * A file name from a message made safe to hand to a browser or a disk: no directories, no control,
 * bidi or quoting characters, no leading dots, a bounded length, and a fallback when nothing is left.
 */
public final class SafeFilename {
    /** Characters kept: below every common file system's 255-byte limit even in 3-byte UTF-8. */
    static final int MAX_CHARS = 80;

    private SafeFilename() {
    }

    public static String of(String raw, int index, String mimeType) {
        String cleaned = clean(raw);
        return cleaned.isEmpty() ? fallback(index, mimeType) : cleaned;
    }

    private static String clean(String raw) {
        if (raw == null) {
            return "";
        }
        String s = Normalizer.normalize(raw, Normalizer.Form.NFC);
        // Keep only the last path element, whichever separator the sender's system used.
        s = s.substring(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < MAX_CHARS; ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            int type = Character.getType(cp);
            boolean unsafe = Character.isISOControl(cp) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE || type == Character.PRIVATE_USE
                    || type == Character.UNASSIGNED || "\"<>:|?*;%".indexOf(cp) >= 0;
            b.appendCodePoint(unsafe ? '_' : Character.isWhitespace(cp) ? ' ' : cp);
        }
        String out = b.toString().strip();
        while (out.startsWith(".")) {
            out = out.substring(1);
        }
        return out.strip();
    }

    private static String fallback(int index, String mimeType) {
        String ext = switch (mimeType.toLowerCase(Locale.ROOT)) {
            case "message/rfc822" -> ".eml";
            case "text/plain" -> ".txt";
            case "text/html" -> ".html";
            case "application/pdf" -> ".pdf";
            case "image/png" -> ".png";
            case "image/jpeg" -> ".jpg";
            case "image/gif" -> ".gif";
            default -> ".bin";
        };
        return "part-" + index + ext;
    }
}
