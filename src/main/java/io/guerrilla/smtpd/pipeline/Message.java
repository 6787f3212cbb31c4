package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.mail.MessageHeaders;
import io.guerrilla.smtpd.smtp.MailAddress;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the processors of one message share: the envelope, the parsed headers, and one {@link Copy}
 * per recipient (each copy has its own Delivered-To, hash and storage row, as in the PHP original).
 */
public final class Message {
    /** {@code body} column value for a message kept uncompressed in the {@code mail} column. */
    public static final String BODY_RAW = "raw";

    private final Envelope envelope;
    private final List<Copy> copies;
    private MessageHeaders headers = MessageHeaders.EMPTY;
    private byte[] content;

    public Message(Envelope envelope) {
        this.envelope = envelope;
        this.copies = new ArrayList<>(envelope.recipients().size());
        for (MailAddress rcpt : envelope.recipients()) {
            copies.add(new Copy(this, rcpt));
        }
    }

    public Envelope envelope() {
        return envelope;
    }

    public List<Copy> copies() {
        return copies;
    }

    public MessageHeaders headers() {
        return headers;
    }

    void headers(MessageHeaders h) {
        this.headers = h;
    }

    /**
     * The message as received, read once. The only place the pipeline reads the envelope's body, so how
     * MessageBody keeps the bytes (heap or spilled to a file) stays its own business.
     */
    public byte[] content() {
        if (content == null) {
            try (InputStream in = envelope.body().openStream()) {
                content = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("reading the received message", e);
            }
        }
        return content;
    }

    /** One recipient's copy: trace headers plus content, possibly transformed, and where it ends up. */
    public static final class Copy {
        private static final byte[] NONE = new byte[0];

        private final Message message;
        private final MailAddress recipient;
        private byte[] trace = NONE;
        private String hash = "";
        private byte[] data;
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

        /** The bytes for this recipient: trace headers and message, or what a processor made of them. */
        public byte[] data() {
            if (data == null) {
                byte[] body = message.content();
                data = new byte[trace.length + body.length];
                System.arraycopy(trace, 0, data, 0, trace.length);
                System.arraycopy(body, 0, data, trace.length, body.length);
            }
            return data;
        }

        /** Where the bytes are, as the {@code body} column says: raw, zlib, gzip, redis or memcached. */
        public String bodyKind() {
            return bodyKind;
        }

        /** The step that moved or transformed the bytes records it. */
        void replace(byte[] newData, String newBodyKind) {
            this.data = newData;
            this.bodyKind = newBodyKind;
        }

        /** The body now lives elsewhere under the hash; the row keeps an empty {@code mail}. */
        void movedTo(String where) {
            replace(NONE, where);
        }
    }
}
