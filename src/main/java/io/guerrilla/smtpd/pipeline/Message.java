package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.mail.MessageBody;
import io.guerrilla.smtpd.mail.ParsedHeaders;
import io.guerrilla.smtpd.smtp.MailAddress;
import io.guerrilla.smtpd.store.MailBytes;
import io.guerrilla.smtpd.store.SaveClaim;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * What the processors of one message share: the envelope, the parsed headers, and one {@link Copy}
 * per recipient (each copy has its own Delivered-To, hash and storage row, as in the PHP original).
 *
 * <p>No step holds a whole message on the heap unless it must (Redis and Memcached take arrays): a copy
 * is its trace headers in front of the received body, read as a stream, and what a step makes of it
 * (a compressed copy) is kept like the received body, in memory when small and in a file when large.
 */
public final class Message {
    /** {@code body} column value for a message kept uncompressed in the {@code mail} column. */
    public static final String BODY_RAW = "raw";

    private final Envelope envelope;
    private final SaveClaim claim;
    private final List<Copy> copies;
    private final List<MessageBody> derived = new ArrayList<>();
    private ParsedHeaders headers = ParsedHeaders.EMPTY;

    /** @param claim whether the store may still take the message, or its save was given up on */
    public Message(Envelope envelope, SaveClaim claim) {
        this.envelope = envelope;
        this.claim = claim;
        this.copies = new ArrayList<>(envelope.recipients().size());
        for (MailAddress rcpt : envelope.recipients()) {
            copies.add(new Copy(this, rcpt));
        }
    }

    public Envelope envelope() {
        return envelope;
    }

    public SaveClaim claim() {
        return claim;
    }

    public List<Copy> copies() {
        return copies;
    }

    public ParsedHeaders headers() {
        return headers;
    }

    void headers(ParsedHeaders h) {
        this.headers = h;
    }

    /** An empty body kept like the received one, released with the message; for a step's output. */
    MessageBody newBody() {
        MessageBody b = envelope.body().derived();
        derived.add(b);
        return b;
    }

    /** Frees what the steps made; the pipeline calls it once the message is stored or has failed. */
    void release() {
        derived.forEach(MessageBody::release);
        derived.clear();
    }

    /** One recipient's copy: trace headers plus content, possibly transformed, and where it ends up. */
    public static final class Copy implements MailBytes {
        private static final byte[] NONE = new byte[0];

        private final Message message;
        private final MailAddress recipient;
        private byte[] trace = NONE;
        private String hash = "";
        /** What a step made of trace and content; null while the copy is still trace + received body. */
        private MessageBody replacement;
        private boolean moved;
        private String bodyKind = BODY_RAW;

        Copy(Message message, MailAddress recipient) {
            this.message = message;
            this.recipient = recipient;
        }

        public MailAddress recipient() {
            return recipient;
        }

        public String hash() {
            return hash;
        }

        void hash(String h) {
            this.hash = h;
        }

        void trace(byte[] t) {
            this.trace = t;
        }

        /** Octets of this recipient's bytes: trace headers and message, or what a step made of them. */
        @Override
        public long length() {
            if (moved) {
                return 0;
            }
            return replacement != null ? replacement.size() : trace.length + message.envelope.body().size();
        }

        @Override
        public InputStream open() throws IOException {
            if (moved) {
                return InputStream.nullInputStream();
            }
            if (replacement != null) {
                return replacement.openStream();
            }
            return new SequenceInputStream(new ByteArrayInputStream(trace), message.envelope.body().openStream());
        }

        /** Where the bytes are, as the {@code body} column says: raw, zlib, gzip, redis or memcached. */
        public String bodyKind() {
            return bodyKind;
        }

        /** The step that transformed the bytes records it; {@code data} is released with the message. */
        void replace(MessageBody data, String newBodyKind) {
            this.replacement = data;
            this.bodyKind = newBodyKind;
        }

        /** The body now lives elsewhere under the hash; the row keeps an empty {@code mail}. */
        void movedTo(String where) {
            this.moved = true;
            this.replacement = null;
            this.bodyKind = where;
        }
    }
}
