package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.mail.HeaderExtractor;
import io.guerrilla.smtpd.mail.MessageHeaders;
import io.guerrilla.smtpd.mail.TraceHeaders;
import io.guerrilla.smtpd.smtp.MailAddress;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Turns an envelope into its {@code new_mail} rows: one per recipient, headers parsed once. */
public final class MailRowFactory {
    private static final DateTimeFormatter SQL_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private MailRowFactory() {
    }

    public static List<MailRow> rows(Envelope env) {
        ByteBuf content = env.body().content();
        byte[] body = new byte[content.readableBytes()];
        content.getBytes(content.readerIndex(), body);
        MessageHeaders h = HeaderExtractor.extract(body, 0, body.length);
        String date = SQL_DATE.format(env.receivedAt());
        List<MailRow> rows = new ArrayList<>(env.recipients().size());
        for (MailAddress rcpt : env.recipients()) {
            byte[] trace = TraceHeaders.forRecipient(env, rcpt);
            byte[] mail = new byte[trace.length + body.length];
            System.arraycopy(trace, 0, mail, 0, trace.length);
            System.arraycopy(body, 0, mail, trace.length, body.length);
            rows.add(new MailRow(date, h.from(), canonical(rcpt), h.subject(), MailRow.BODY_RAW, h.charset(), mail, 0f,
                    hash(env.queueId(), rcpt), h.contentType(), rcpt.toString(), h.hasAttachment(),
                    env.clientIp(), h.messageId(), h.replyTo(), h.sender(), env.mailFrom().toString(), env.tls()));
        }
        return rows;
    }

    /** The address front ends search by: domains are case-insensitive, local parts are kept as sent. */
    private static String canonical(MailAddress a) {
        return a.domain() == null ? a.localPart().toLowerCase() : a.localPart() + "@" + a.domainLowerCase();
    }

    /** MD5 is enough: the hash names a copy (as in go-guerrilla, also the Redis key), it guards nothing. */
    static String hash(String queueId, MailAddress rcpt) {
        try {
            MessageDigest md = MessageDigest.getInstance("MD5");
            md.update(queueId.getBytes(StandardCharsets.US_ASCII));
            md.update((byte) 0);
            md.update(rcpt.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required of every JRE", e);
        }
    }
}
