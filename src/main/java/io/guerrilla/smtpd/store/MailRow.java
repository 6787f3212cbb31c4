package io.guerrilla.smtpd.store;

import java.time.Instant;

/**
 * One row of the Guerrilla {@code new_mail} table: one accepted recipient of one message. Column
 * names and meanings are the original PHP schema's, plus go-guerrilla's additions.
 *
 * @param date        receive time (stored as UTC)
 * @param from        the From header's address
 * @param to          the recipient address, lower-cased domain (what front ends look mail up by)
 * @param body        where the message bytes live: "raw" uncompressed in {@code mail}, "gzip"/"zlib" compressed
 *                    there, "redis"/"memcached" under {@code hash}
 * @param mail        the message with Delivered-To and Received prepended, as {@code body} says
 * @param hash        32 hex digits identifying this copy
 * @param recipient   the envelope recipient as the client wrote it
 * @param returnPath  the envelope sender (MAIL FROM); empty for the null sender
 */
public record MailRow(Instant date, String from, String to, String subject, String body, String charset,
                      MailBytes mail, float spamScore, String hash, String contentType, String recipient,
                      boolean hasAttach, String ipAddr, String messageId, String replyTo, String sender,
                      String returnPath, boolean isTls) {
}
