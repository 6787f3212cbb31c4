package io.guerrilla.smtpd.smtp;

import java.util.EnumSet;
import java.util.Set;

/**
 * What one listener allows a session to do. Immutable so that a config reload can swap it without
 * locking; a session keeps the policy it started with until its next transaction.
 *
 * @param hostName       the name this server gives in the greeting, EHLO reply and Received header
 * @param allowedHosts   recipient domains accepted (anything else is relaying: 550 5.7.1)
 * @param maxMessageSize largest message accepted, in octets, advertised by SIZE (RFC 1870)
 * @param maxRecipients  recipients per message; RFC 5321 4.5.3.1.8 requires accepting at least 100
 * @param maxBadCommands unknown or malformed commands before 421 and close; stops protocol fuzzing
 *                       and command-flood abuse from holding a connection (Postfix smtpd_hard_error_limit)
 * @param maxMessagesPerConnection messages one connection may send; the next MAIL gets 421 and close
 */
public record SessionPolicy(String hostName, AllowedHosts allowedHosts, long maxMessageSize,
                            int maxRecipients, int maxBadCommands, int maxMessagesPerConnection,
                            Set<Extension> extensions) {
    public SessionPolicy {
        extensions = extensions.isEmpty() ? EnumSet.noneOf(Extension.class) : EnumSet.copyOf(extensions);
    }

    /** Every optional extension enabled. */
    public SessionPolicy(String hostName, AllowedHosts allowedHosts, long maxMessageSize, int maxRecipients,
                         int maxBadCommands, int maxMessagesPerConnection) {
        this(hostName, allowedHosts, maxMessageSize, maxRecipients, maxBadCommands, maxMessagesPerConnection,
                EnumSet.allOf(Extension.class));
    }

    public boolean enabled(Extension e) {
        return extensions.contains(e);
    }
}
