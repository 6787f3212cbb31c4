package io.guerrilla.smtpd.smtp;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The parsed argument of MAIL FROM or RCPT TO: the mailbox and its ESMTP parameters
 * (RFC 5321 section 4.1.2, {@code Mail-parameters} / {@code Rcpt-parameters}).
 *
 * @param address the mailbox, or {@link MailAddress#NULL_SENDER} for {@code <>}
 * @param parameters keyword (upper-cased, since RFC 5321 section 2.4 makes keywords
 *     case-insensitive) to value, {@code null} for a keyword without {@code =value} such as
 *     {@code SMTPUTF8}; in the order the client sent them
 */
public record PathArgument(MailAddress address, Map<String, String> parameters) {

    public PathArgument {
        Objects.requireNonNull(address, "address");
        // LinkedHashMap rather than Map.copyOf: the latter rejects the null values that stand
        // for value-less keywords and forgets the client's order.
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }
}
