package io.guerrilla.smtpd.mailbox;

import java.util.regex.Pattern;

/**
 * The first words of a message for a list: its text part, or its HTML part without markup, with
 * every run of white space as one space. Built character by character and only as far as it is
 * shown, since a list asks for one per message and a body may be megabytes long.
 */
public final class Excerpt {
    /** Script and style content is not text a reader sees; any other tag becomes a space. */
    private static final Pattern MARKUP = Pattern.compile("(?s)<(script|style)[^>]*>.*?</\\1>|<[^>]*>");

    private Excerpt() {
    }

    /** At most {@code maxChars} characters of the text part, else of the HTML part's text. */
    public static String of(MessageParser.Parsed p, int maxChars) {
        String text = p.text();
        if (text == null || text.isBlank()) {
            text = p.html() == null ? "" : MARKUP.matcher(p.html()).replaceAll(" ");
        }
        return collapse(text, maxChars);
    }

    static String collapse(String text, int maxChars) {
        StringBuilder out = new StringBuilder(Math.min(maxChars, text.length()));
        boolean space = false;
        for (int i = 0; i < text.length() && out.length() < maxChars; i++) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                space = out.length() > 0;
            } else {
                if (space) {
                    if (out.length() + 1 == maxChars) {
                        break;
                    }
                    out.append(' ');
                    space = false;
                }
                out.append(c);
            }
        }
        if (out.length() > 0 && Character.isHighSurrogate(out.charAt(out.length() - 1))) {
            out.setLength(out.length() - 1);
        }
        return out.toString();
    }
}
