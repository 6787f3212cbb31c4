package io.guerrilla.smtpd.mail;

import io.guerrilla.smtpd.smtp.AddressException;
import io.guerrilla.smtpd.smtp.AddressParser;
import io.guerrilla.smtpd.smtp.MailAddress;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The headers a receiving server prepends: Delivered-To, naming the recipient this copy is for, and
 * the Received trace header of RFC 5321 section 4.4. No DNS lookup is made for it: reverse DNS would
 * block and is for programs further up the stack to do.
 *
 * <p>The HELO/EHLO argument is the client's text: written as the From-domain only when it is a valid
 * domain or address literal (RFC 5321 4.1.1.1). Anything else (say {@code x ([1.2.3.4]) by mx; date})
 * would forge a hop or a date, so the From-domain is then the client's address literal and the text
 * follows as an escaped RFC 5322 comment, where nothing in it is parsed as a token.
 *
 * <p>The by-clause names the node that took the message in a comment, as Postfix names itself
 * ({@code by mx.example.com (guerrillad node-2) with ESMTP}): RFC 5321 4.4 allows CFWS before WITH,
 * and an operator with several nodes behind one balancer can tell which one stored a message.
 */
public final class ReceivedHeader {
    /** RFC 5322 3.3 date-time with a numeric zone; RFC 1123's "GMT" is an obsolete zone name there. */
    private static final DateTimeFormatter RFC5322_DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx", Locale.ROOT);

    private ReceivedHeader() {
    }

    public static byte[] forRecipient(Envelope env, MailAddress rcpt) {
        String date = RFC5322_DATE.format(env.receivedAt().atOffset(ZoneOffset.UTC));
        String r = rcpt.toString();
        String s = "Delivered-To: " + r + "\r\n"
                + "Received: from " + from(env.helo(), env.clientIp()) + "\r\n"
                + "\tby " + env.hostName() + " (guerrillad " + commentText(env.nodeName()) + ") with " + env.protocol() + " id " + env.queueId() + "\r\n"
                + "\tfor <" + r + ">; " + date + "\r\n";
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String from(String helo, String clientIp) {
        String literal = "[" + clientIp + "]";
        try {
            AddressParser.checkDomainSyntax(helo);
            return helo + " (" + literal + ")";
        } catch (AddressException notADomain) {
            return literal + " (HELO \"" + commentText(helo) + "\")";
        }
    }

    /**
     * The text as the inside of a comment: backslash, parentheses and quotes escaped as quoted-pairs
     * (RFC 5322 3.2.2), and control and bidirectional-override characters, which could reorder or
     * hide what a reader sees, replaced with '?'.
     */
    static String commentText(String text) {
        StringBuilder b = new StringBuilder(text.length() + 8);
        text.codePoints().forEach(c -> {
            if (c == '\\' || c == '(' || c == ')' || c == '"') {
                b.append('\\').appendCodePoint(c);
            } else if (Character.isISOControl(c) || isBidiControl(c)) {
                b.append('?');
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

    /** Unicode's explicit directional formatting characters (UAX #9 2.1-2.6, 2.7 marks). */
    private static boolean isBidiControl(int c) {
        return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
    }
}
