package io.guerrilla.smtpd.mail;

import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.dom.address.Mailbox;
import org.apache.james.mime4j.field.address.LenientAddressParser;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.NameValuePair;
import org.apache.james.mime4j.stream.ParserCursor;
import org.apache.james.mime4j.stream.RawField;
import org.apache.james.mime4j.stream.RawFieldParser;
import org.apache.james.mime4j.util.ByteArrayBuffer;
import org.apache.james.mime4j.util.ByteSequence;
import org.apache.james.mime4j.util.MimeUtil;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * Extracts {@link ParsedHeaders} from the top-level header section of a raw message.
 *
 * <p>Only the header section is parsed: parsing stops at the first empty line, or after
 * {@link #DEFAULT_MAX_HEADER_BYTES}, whichever comes first; fields seen up to that point
 * are used. Malformed input never throws: lines that are not fields (no colon, illegal
 * name characters) are skipped, and a value that cannot be interpreted is left "" or,
 * for address fields, kept as its raw text. When a header occurs more than once the
 * first occurrence wins, as it is the one nearest the top, where the receiving MTA
 * writes.
 *
 * <p>Raw 8-bit header bytes (RFC 6532 or plain misbehaving clients) are decoded as UTF-8
 * when they are valid UTF-8, otherwise as ISO-8859-1, which maps every byte to a char.
 *
 * <p>{@code hasAttachment} is true when the top-level type is multipart/mixed or the
 * top-level Content-Disposition is attachment. That is all a top-level-only check can
 * tell: it will flag a multipart/mixed message that carries only inline text, and miss
 * an attachment nested inside multipart/alternative or multipart/related.
 */
public final class MimeHeaderReader {

    // The header section is parsed in memory, so a client must not make us parse megabytes of headers.
    public static final int DEFAULT_MAX_HEADER_BYTES = 256 * 1024;

    // Storage columns are VARCHAR(255)-sized; longer values are truncated.
    private static final int MAX_VALUE_CHARS = 255;

    private static final String DEFAULT_CONTENT_TYPE = "text/plain";

    /**
     * Lenient, without Mime4j's own limits: callers bound what they feed it (the byte cap above here,
     * the stored message's size when mail is read), and a limit tripping would only throw away the rest.
     */
    public static final MimeConfig LENIENT = MimeConfig.custom()
            .setStrictParsing(false)
            .setMaxLineLen(-1)
            .setMaxHeaderCount(-1)
            .setMaxHeaderLen(-1)
            .setMaxContentLen(-1)
            .build();

    private MimeHeaderReader() {
    }

    /**
     * Extracts the headers of the message read from {@code message}. At most
     * {@link #DEFAULT_MAX_HEADER_BYTES} are read, but the parser reads ahead in blocks, so
     * the stream is left at an unspecified position after the header section. The stream
     * is not closed.
     *
     * @throws UncheckedIOException if reading the stream fails (malformed content does not throw)
     */
    public static ParsedHeaders extract(InputStream message) {
        try {
            return parse(new CappedInputStream(message, DEFAULT_MAX_HEADER_BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ParsedHeaders parse(InputStream in) throws IOException {
        RawField from = null;
        RawField subject = null;
        RawField contentType = null;
        RawField disposition = null;
        RawField messageId = null;
        RawField replyTo = null;
        RawField sender = null;
        RawField returnPath = null;

        MimeTokenStream stream = new MimeTokenStream(LENIENT);
        stream.parse(in);
        try {
            for (EntityState state = stream.next();
                    state != EntityState.T_END_HEADER && state != EntityState.T_END_OF_STREAM;
                    state = stream.next()) {
                if (state != EntityState.T_FIELD || !(stream.getField() instanceof RawField field)) {
                    continue;
                }
                switch (field.getNameLowerCase()) {
                    case "from" -> from = from != null ? from : field;
                    case "subject" -> subject = subject != null ? subject : field;
                    case "content-type" -> contentType = contentType != null ? contentType : field;
                    case "content-disposition" -> disposition = disposition != null ? disposition : field;
                    case "message-id" -> messageId = messageId != null ? messageId : field;
                    case "reply-to" -> replyTo = replyTo != null ? replyTo : field;
                    case "sender" -> sender = sender != null ? sender : field;
                    case "return-path" -> returnPath = returnPath != null ? returnPath : field;
                    default -> { }
                }
            }
        } catch (MimeException e) {
            // Lenient mode leaves no limit to trip; should one fire anyway, keep the fields seen so far.
        } finally {
            stream.stop();
        }

        String mimeType = DEFAULT_CONTENT_TYPE;
        String charset = "";
        if (contentType != null) {
            var body = RawFieldParser.DEFAULT.parseRawBody(contentType);
            mimeType = mimeType(body.getValue());
            String declared = body.getParams().stream()
                    .filter(p -> "charset".equalsIgnoreCase(p.getName()))
                    .map(NameValuePair::getValue)
                    .filter(Objects::nonNull)
                    .findFirst()
                    .orElse("");
            charset = cap(clean(declared).toLowerCase(Locale.ROOT));
        }
        boolean attachment = "multipart/mixed".equals(mimeType)
                || (disposition != null && "attachment".equalsIgnoreCase(
                        trimToEmpty(RawFieldParser.DEFAULT.parseRawBody(disposition).getValue())));

        return new ParsedHeaders(
                address(from, false),
                subject == null ? "" : subject(subject),
                charset,
                mimeType,
                attachment,
                messageId == null ? "" : cap(unbracket(value(messageId))),
                address(replyTo, false),
                address(sender, false),
                address(returnPath, true));
    }

    /**
     * Lower-cases with {@link Locale#ROOT}: Mime4j's ContentTypeField lower-cases with the
     * default locale, which turns MULTIPART into "multıpart" under a Turkish locale.
     * RFC 2045 5.2 also asks for text/plain when the header is syntactically invalid.
     */
    private static String mimeType(String value) {
        if (value == null) {
            return DEFAULT_CONTENT_TYPE;
        }
        int slash = value.indexOf('/');
        if (slash < 0) {
            return DEFAULT_CONTENT_TYPE;
        }
        String type = value.substring(0, slash).trim();
        String subtype = value.substring(slash + 1).trim();
        if (type.isEmpty() || subtype.isEmpty()) {
            return DEFAULT_CONTENT_TYPE;
        }
        return cap(clean(type + "/" + subtype).toLowerCase(Locale.ROOT));
    }

    private static String subject(RawField field) {
        return cap(displayValue(field));
    }

    /**
     * A field's value as people read it, at any length: unfolded, raw 8-bit bytes decoded by the
     * UTF-8-else-Latin-1 rule, RFC 2047 encoded words decoded, control characters other than TAB dropped.
     */
    public static String displayValue(RawField field) {
        // Unfold first so that encoded words split across folded lines are adjacent,
        // which lets DecoderUtil drop the whitespace between them as RFC 2047 requires.
        String unfolded = MimeUtil.unfold(rawValue(field));
        return clean(DecoderUtil.decodeEncodedWords(unfolded, DecodeMonitor.SILENT));
    }

    /** Text that names no charset (or an unknown one): UTF-8 when it is valid UTF-8, otherwise ISO-8859-1. */
    public static String decodeUnlabelled(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    /**
     * First mailbox that has both a local part and a domain, as {@code local@domain};
     * otherwise the raw value, for Return-Path without the angle brackets (so that the
     * null reverse-path {@code <>} becomes "").
     */
    private static String address(RawField field, boolean unbracketFallback) {
        if (field == null) {
            return "";
        }
        // The ByteSequence overload on purpose: parseAddressList(CharSequence) sizes its
        // cursor in chars but parses UTF-8 bytes, so it truncates non-ASCII input.
        ByteSequence raw = field.getRaw();
        var cursor = new ParserCursor(field.getDelimiterIdx() + 1, raw.length());
        for (Mailbox mailbox : LenientAddressParser.DEFAULT.parseAddressList(raw, cursor).flatten()) {
            String local = mailbox.getLocalPart();
            String domain = mailbox.getDomain();
            if (local != null && !local.isEmpty() && domain != null && !domain.isEmpty()) {
                return cap(clean(redecode(local + "@" + domain)));
            }
        }
        String value = value(field);
        return cap(unbracketFallback ? unbracket(value) : value);
    }

    /** The text between the first {@code <} and the next {@code >}, if there is such a pair. */
    private static String unbracket(String value) {
        int open = value.indexOf('<');
        int close = open < 0 ? -1 : value.indexOf('>', open + 1);
        return close < 0 ? value : value.substring(open + 1, close).trim();
    }

    /** The field value unfolded, without control characters and trimmed. */
    private static String value(RawField field) {
        return clean(MimeUtil.unfold(rawValue(field)));
    }

    private static String rawValue(RawField field) {
        ByteSequence raw = field.getRaw();
        int start = field.getDelimiterIdx() + 1;
        int length = raw.length() - start;
        if (raw instanceof ByteArrayBuffer buffer) {
            return decode(buffer.buffer(), start, length);
        }
        return decode(raw.toByteArray(), start, length);
    }

    private static String decode(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (bytes[i] < 0) {
                return decode8bit(bytes, offset, length);
            }
        }
        return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
    }

    private static String decode8bit(byte[] bytes, int offset, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, length))
                    .toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * Mime4j's address parser turns each byte into one char, so raw 8-bit addresses come
     * out as ISO-8859-1; re-decode them by the same UTF-8-else-Latin-1 rule as other values.
     */
    private static String redecode(String perByte) {
        boolean eightBit = false;
        for (int i = 0; i < perByte.length(); i++) {
            char c = perByte.charAt(i);
            if (c > 0xFF) {
                return perByte;
            }
            eightBit |= c >= 0x80;
        }
        if (!eightBit) {
            return perByte;
        }
        byte[] bytes = perByte.getBytes(StandardCharsets.ISO_8859_1);
        return decode8bit(bytes, 0, bytes.length);
    }

    /** Drops control characters other than TAB (they break logs and storage) and trims. */
    private static String clean(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean drop = c != '\t' && Character.isISOControl(c);
            if (drop && out == null) {
                out = new StringBuilder(s.length()).append(s, 0, i);
            } else if (!drop && out != null) {
                out.append(c);
            }
        }
        return (out == null ? s : out.toString()).strip();
    }

    private static String trimToEmpty(String s) {
        return s == null ? "" : s.trim();
    }

    private static String cap(String s) {
        return TextLimits.cap(s, MAX_VALUE_CHARS);
    }

    /** Ends the stream after {@code remaining} bytes, where LimitedInputStream would throw. */
    private static final class CappedInputStream extends FilterInputStream {
        private long remaining;

        CappedInputStream(InputStream in, long cap) {
            super(Objects.requireNonNull(in, "message"));
            this.remaining = cap;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = super.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = super.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(Math.min(n, remaining));
            remaining -= skipped;
            return skipped;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(super.available(), remaining);
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
