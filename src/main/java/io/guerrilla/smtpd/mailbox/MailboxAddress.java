package io.guerrilla.smtpd.mailbox;

import io.guerrilla.smtpd.smtp.AddressException;
import io.guerrilla.smtpd.smtp.AddressParser;
import io.guerrilla.smtpd.smtp.MailAddress;

/**
 * A mailbox named by a reader: checked with the same parser SMTP uses for RCPT TO, so only an
 * address that could have received mail is looked up, and turned into the key rows are stored under.
 */
public final class MailboxAddress {
    private MailboxAddress() {
    }

    /**
     * The stored key of {@code address} (e.g. {@code Alice@Example.COM} becomes {@code Alice@example.com}).
     *
     * @throws IllegalArgumentException saying why it is not a mailbox address
     */
    public static String key(String address) {
        if (address == null || address.isEmpty()) {
            throw new IllegalArgumentException("missing");
        }
        if (address.length() > AddressParser.MAX_PATH_OCTETS - 2) {
            throw new IllegalArgumentException("longer than " + (AddressParser.MAX_PATH_OCTETS - 2) + " characters");
        }
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c < 0x21 || c == 0x7f || c == '<' || c == '>') {
                throw new IllegalArgumentException("not an email address (spaces, controls or angle brackets)");
            }
        }
        MailAddress parsed;
        try {
            parsed = AddressParser.parseRcptTo("TO:<" + address + ">", true).address();
        } catch (AddressException e) {
            throw new IllegalArgumentException("not an email address");
        }
        if (parsed.domain() == null) {
            throw new IllegalArgumentException("needs a domain (local@domain)");
        }
        return parsed.mailboxKey();
    }
}
