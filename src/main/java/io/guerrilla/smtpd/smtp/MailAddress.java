package io.guerrilla.smtpd.smtp;

import java.util.Locale;
import java.util.Objects;

/**
 * A mailbox taken from a MAIL FROM or RCPT TO path, kept exactly as the client wrote it.
 *
 * <p>The local part is not unquoted because RFC 5321 section 2.4 makes it case-sensitive and
 * opaque to everyone but the destination host; re-encoding it could change which mailbox is
 * meant. The domain keeps address-literal brackets so {@code [1.2.3.4]} and a host named
 * {@code 1.2.3.4} stay distinguishable.
 *
 * @param localPart the local part as written (quotes included for a quoted-string); empty only
 *     for {@link #NULL_SENDER}
 * @param domain the domain or address literal as written; {@code null} for the null reverse-path
 *     and for the bare {@code <postmaster>} recipient that RFC 5321 section 4.5.1 requires every
 *     server to accept
 */
public record MailAddress(String localPart, String domain) {

    /** The null reverse-path {@code <>} used for bounces (RFC 5321 sections 4.5.5 and 6.1). */
    public static final MailAddress NULL_SENDER = new MailAddress("", null);

    public MailAddress {
        Objects.requireNonNull(localPart, "localPart");
    }

    public boolean isNullSender() {
        return localPart.isEmpty() && domain == null;
    }

    /**
     * Whether the address may be used without SMTPUTF8: RFC 6531 forbids handing a non-ASCII
     * address to a server, or accepting one from a client, outside an SMTPUTF8 transaction.
     */
    public boolean isAscii() {
        return isAscii(localPart) && (domain == null || isAscii(domain));
    }

    /**
     * Domain for case-insensitive comparison (RFC 5321 section 2.4: domain names are not
     * case-sensitive). {@link Locale#ROOT} keeps ASCII mapping locale-independent (no Turkish
     * dotless i) while still folding U-labels.
     */
    public String domainLowerCase() {
        return domain == null ? null : domain.toLowerCase(Locale.ROOT);
    }

    /**
     * The key a mailbox is stored and looked up by (the {@code to} column): domains are
     * case-insensitive, local parts are kept as sent (RFC 5321 section 2.4).
     */
    public String mailboxKey() {
        return domain == null ? localPart.toLowerCase(Locale.ROOT) : localPart + "@" + domainLowerCase();
    }

    /** The mailbox as it would appear between the angle brackets of a path. */
    @Override
    public String toString() {
        return domain == null ? localPart : localPart + "@" + domain;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7F) {
                return false;
            }
        }
        return true;
    }
}
