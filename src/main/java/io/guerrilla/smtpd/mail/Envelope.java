package io.guerrilla.smtpd.mail;

import io.guerrilla.smtpd.smtp.MailAddress;

import java.time.Instant;
import java.util.List;

/**
 * One received message and everything the session learnt about how it arrived: what the processors
 * and stores need, and nothing of the connection itself.
 *
 * @param queueId       unique id, given to the client in the 250 reply and kept in the Received header
 * @param hostName      this server's name, for the Received header
 * @param nodeName      this process's node_name, for the Received header's comment after hostName
 * @param clientIp      the client's address (the real one when a trusted proxy said so)
 * @param helo          the HELO/EHLO argument
 * @param protocol      the Received header's WITH value (SMTP, ESMTP, ESMTPS, UTF8SMTP...)
 */
public record Envelope(String queueId, Instant receivedAt, String hostName, String nodeName, String clientIp, String helo,
                       String protocol, boolean tls, MailAddress mailFrom, List<MailAddress> recipients,
                       MessageBody body) {
}
