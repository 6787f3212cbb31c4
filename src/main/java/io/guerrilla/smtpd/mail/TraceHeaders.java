package io.guerrilla.smtpd.mail;

import io.guerrilla.smtpd.smtp.MailAddress;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The headers a receiving server prepends: Delivered-To, naming the recipient this copy is for, and
 * the Received trace header of RFC 5321 section 4.4. No DNS lookup is made for it: reverse DNS would
 * block and is for programs further up the stack to do.
 */
public final class TraceHeaders {
    /** RFC 5322 3.3 date-time with a numeric zone; RFC 1123's "GMT" is an obsolete zone name there. */
    private static final DateTimeFormatter RFC5322_DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx", Locale.ROOT);

    private TraceHeaders() {
    }

    public static byte[] forRecipient(Envelope env, MailAddress rcpt) {
        String date = RFC5322_DATE.format(env.receivedAt().atOffset(ZoneOffset.UTC));
        String r = rcpt.toString();
        String s = "Delivered-To: " + r + "\r\n"
                + "Received: from " + env.helo() + " ([" + env.clientIp() + "])\r\n"
                + "\tby " + env.hostName() + " with " + env.protocol() + " id " + env.queueId() + "\r\n"
                + "\tfor <" + r + ">; " + date + "\r\n";
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
