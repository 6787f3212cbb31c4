package io.guerrilla.smtpd.store;

/** A stored row as read back by operators' tools ({@code guerrillad mail}). */
public record StoredMail(long id, String date, String from, String to, String subject, String body,
                         String hash, String ipAddr, byte[] mail) {
}
