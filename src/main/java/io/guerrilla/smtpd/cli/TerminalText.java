package io.guerrilla.smtpd.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Stored mail shown to a person: whatever a sender wrote must not drive the operator's terminal
 * (ESC/OSC sequences that retitle, clear or rewrite it) nor reorder or forge what the operator reads
 * (bidi overrides such as U+202E, line breaks inside a column). Such characters are shown as visible
 * text instead: C0 controls in caret notation ({@code ^[} for ESC), the rest as {@code <U+202E>}.
 */
final class TerminalText {
    /** Longest subject {@code mail list} prints, so one row stays one line on a usual terminal. */
    static final int SUBJECT_COLUMN = 80;

    private TerminalText() {
    }

    /** Whether standard output is a terminal: {@link System#console()} needs stdin to be one too, /proc does not. */
    static boolean stdoutIsTerminal() {
        if (System.console() != null) {
            return true;
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/1")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Multi-line text (a message): line feeds and tabs kept, CR LF read as one line end, everything else invisible made visible. */
    static String visible(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (c == '\n' || c == '\t') {
                b.append((char) c);
            } else if (c == '\r' && i < s.length() && s.charAt(i) == '\n') {
                continue;
            } else {
                appendVisible(b, c);
            }
        }
        return b.toString();
    }

    /** One table cell: on one line, made visible, other spaces as a plain space, cut to {@code width} code points. */
    static String column(String s, int width) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), width + 16));
        s.codePoints().forEach(c -> {
            if (Character.getType(c) == Character.SPACE_SEPARATOR) {
                b.append(' ');
            } else {
                appendVisible(b, c);
            }
        });
        if (b.codePointCount(0, b.length()) <= width) {
            return b.toString();
        }
        return b.substring(0, b.offsetByCodePoints(0, width - 1)) + "…";
    }

    private static void appendVisible(StringBuilder b, int c) {
        if (c < 0x20) {
            b.append('^').append((char) (c + '@'));
        } else if (c == 0x7F) {
            b.append("^?");
        } else if (Character.isISOControl(c) || isInvisibleFormat(c)) {
            b.append(String.format("<U+%04X>", c));
        } else {
            b.appendCodePoint(c);
        }
    }

    /** Bidi overrides, zero-width and other format characters, and the Unicode line and paragraph separators. */
    private static boolean isInvisibleFormat(int c) {
        int type = Character.getType(c);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }
}
