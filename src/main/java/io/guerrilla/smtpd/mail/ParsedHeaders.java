package io.guerrilla.smtpd.mail;

import java.util.Objects;

/**
 * Values taken from a message's top-level header section for its storage row.
 * Every string is non-null: an absent header is {@code ""}, so storage code never
 * has to distinguish null from empty. See {@link MimeHeaderReader} for how each
 * value is derived.
 *
 * @param from          first mailbox of From as {@code local@domain}, or the raw value if unparsable
 * @param subject       decoded, unfolded Subject without control characters
 * @param charset       lower-cased {@code charset} parameter of the top-level Content-Type
 * @param contentType   lower-cased top-level MIME type without parameters
 * @param hasAttachment top-level multipart/mixed or Content-Disposition: attachment
 * @param messageId     Message-ID without angle brackets
 * @param replyTo       first mailbox of Reply-To as {@code local@domain}
 * @param sender        mailbox of Sender as {@code local@domain}
 * @param returnPath    Return-Path address without angle brackets
 */
public record ParsedHeaders(
        String from,
        String subject,
        String charset,
        String contentType,
        boolean hasAttachment,
        String messageId,
        String replyTo,
        String sender,
        String returnPath) {

    /**
     * What a message without any header yields: RFC 2045 section 5.2 makes its type
     * text/plain. The charset stays "" because the message did not declare one.
     */
    public static final ParsedHeaders EMPTY =
            new ParsedHeaders("", "", "", "text/plain", false, "", "", "", "");

    public ParsedHeaders {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(charset, "charset");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(replyTo, "replyTo");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(returnPath, "returnPath");
    }
}
