package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.mail.HeaderExtractor;
import io.guerrilla.smtpd.mail.MessageHeaders;
import io.guerrilla.smtpd.mail.TraceHeaders;
import io.guerrilla.smtpd.smtp.MailAddress;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Turns an envelope into its {@code new_mail} rows: one per recipient, headers parsed once. Each row
 * holds its own copy of the message, so rows of large messages are built one at a time as they are
 * written: a writer that binds one row, executes it and drops it never holds more than one copy,
 * whatever the size of the message or the number of its recipients. Rows of small messages are
 * built ahead, on the thread that parses, to keep that work off the single writer thread.
 */
public final class MailRowFactory {
    private static final DateTimeFormatter SQL_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
    /** The largest array a JVM allocates; a row's mail column is one array. */
    private static final int MAX_ROW_BYTES = Integer.MAX_VALUE - 8;
    /** Octets of all of a message's rows together up to which they are built ahead of the writer. */
    private static final long ROWS_AHEAD_MAX_BYTES = 1024 * 1024;

    /**
     * A message with its headers parsed, ready to give each recipient's row.
     *
     * @param built the rows, when they were built ahead; null when they are built as they are written
     */
    public record Parsed(Envelope env, MessageHeaders headers, String date, List<MailRow> built) {
        /** The rows in recipient order, each built when it is reached unless built ahead. */
        public Iterable<MailRow> rows() {
            if (built != null) {
                return built;
            }
            return () -> env.recipients().stream().map(rcpt -> row(this, rcpt)).iterator();
        }
    }

    private MailRowFactory() {
    }

    /** Parses the header section, and builds the rows too when they are small and the body in memory. */
    public static Parsed parse(Envelope env) {
        Parsed lazy;
        try (InputStream in = env.body().openStream()) {
            lazy = new Parsed(env, HeaderExtractor.extract(in), SQL_DATE.format(env.receivedAt()), null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (env.body().spilled() || env.body().size() * env.recipients().size() > ROWS_AHEAD_MAX_BYTES) {
            return lazy;
        }
        List<MailRow> rows = new ArrayList<>(env.recipients().size());
        lazy.rows().forEach(rows::add);
        return new Parsed(env, lazy.headers(), lazy.date(), rows);
    }

    /** The row of one recipient, with the message read from the body into it (the only copy made). */
    public static MailRow row(Parsed m, MailAddress rcpt) {
        Envelope env = m.env();
        MessageHeaders h = m.headers();
        byte[] trace = TraceHeaders.forRecipient(env, rcpt);
        long size = env.body().size();
        if (trace.length + size > MAX_ROW_BYTES) {
            throw new UncheckedIOException(new IOException("message of " + size + " octets does not fit in one row"));
        }
        byte[] mail;
        try {
            mail = new byte[trace.length + (int) size];
        } catch (OutOfMemoryError e) {
            // Only this one array can be this large: failing it alone leaves the heap as it was.
            throw new UncheckedIOException(new IOException("message of " + size + " octets does not fit in the heap"));
        }
        System.arraycopy(trace, 0, mail, 0, trace.length);
        try (InputStream in = env.body().openStream()) {
            if (in.readNBytes(mail, trace.length, (int) size) != size) {
                throw new IOException("message body shorter than the " + size + " octets received");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new MailRow(m.date(), h.from(), canonical(rcpt), h.subject(), MailRow.BODY_RAW, h.charset(), mail, 0f,
                hash(env.queueId(), rcpt), h.contentType(), rcpt.toString(), h.hasAttachment(),
                env.clientIp(), h.messageId(), h.replyTo(), h.sender(), env.mailFrom().toString(), env.tls());
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
