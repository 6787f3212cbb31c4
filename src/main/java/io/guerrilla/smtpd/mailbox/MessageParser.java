package io.guerrilla.smtpd.mailbox;

import io.guerrilla.smtpd.mail.MimeHeaderReader;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.message.DefaultBodyDescriptorBuilder;
import org.apache.james.mime4j.message.MaximalBodyDescriptor;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.RawField;
import org.apache.james.mime4j.stream.RawFieldParser;
import org.apache.james.mime4j.stream.RecursionMode;
import org.apache.james.mime4j.util.CharsetUtil;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads a stored message the way a mail client shows it, with Apache Mime4j's streaming parser:
 * top-level headers decoded (RFC 2047, raw 8-bit), the first plain-text and first HTML part decoded
 * from their transfer encoding and charset, and every other leaf part (nested multiparts walked, an
 * attached message kept whole) listed as an attachment by its position. Nothing here throws on bad
 * MIME: a broken structure yields what could be read, as lenient clients do.
 */
public final class MessageParser {
    /** Characters kept of the text or HTML part: a readable page, while a 20 MB "text" cannot fill a response. */
    public static final int MAX_TEXT_CHARS = 1024 * 1024;
    /** Attachments listed: a 1,000-part message is listed whole, a million-part one is not. */
    public static final int MAX_ATTACHMENTS = 5000;
    /** Top-level header fields listed (a real message has a few dozen). */
    public static final int MAX_HEADERS = 500;

    /** One header field, decoded for reading. */
    public record Header(String name, String value) {
    }

    /**
     * A part offered for download: {@code index} is its position among the message's leaf parts (the
     * id of the attachment endpoint), {@code filename} is already safe to use.
     */
    public record Attachment(int index, String filename, String contentType, long size, String contentId,
                             boolean inline) {
    }

    /** What a reader needs; {@code html} is the raw HTML part, to be sanitized before it leaves the server. */
    public record Parsed(List<Header> headers, String text, boolean textTruncated, String html, boolean htmlTruncated,
                         List<Attachment> attachments, boolean attachmentsTruncated) {
    }

    private MessageParser() {
    }

    public static Parsed parse(byte[] message) {
        Collector c = new Collector();
        walk(message, c);
        return new Parsed(c.headers, c.text, c.textTruncated, c.html, c.htmlTruncated, c.attachments,
                c.attachmentsTruncated);
    }

    /** The decoded bytes of attachment {@code index}, with its description; empty when there is no such part. */
    public static Optional<Download> attachment(byte[] message, int index) {
        Finder f = new Finder(index);
        walk(message, f);
        return Optional.ofNullable(f.found);
    }

    /** An attachment's description and its decoded content. */
    public record Download(Attachment attachment, byte[] content) {
    }

    /** Sees each part as the parser reaches it. */
    private interface Visitor {
        void header(RawField field);

        /** @return false to stop walking */
        boolean leaf(PartInfo part, InputStream decoded) throws IOException;
    }

    /** A leaf part: its position, descriptor, and whether it is shown as the text or HTML of the message. */
    private record PartInfo(int index, MaximalBodyDescriptor descriptor) {
        String mimeType() {
            String t = descriptor.getMimeType();
            return t == null ? "application/octet-stream" : t.toLowerCase(Locale.ROOT);
        }

        String rawFilename() {
            String name = rfc2231(descriptor.getContentDispositionParameters(), "filename");
            if (name == null) {
                name = descriptor.getContentDispositionFilename();
            }
            if (name == null) {
                name = rfc2231(descriptor.getContentTypeParameters(), "name");
            }
            if (name == null) {
                name = descriptor.getContentTypeParameters().get("name");
            }
            return name == null ? null : DecoderUtil.decodeEncodedWords(name, DecodeMonitor.SILENT);
        }

        boolean dispositionAttachment() {
            return "attachment".equalsIgnoreCase(descriptor.getContentDispositionType());
        }

        /** Body text rather than a file: text/plain or text/html, not marked as an attachment, no file name. */
        boolean body(String type) {
            return mimeType().equals(type) && !dispositionAttachment() && rawFilename() == null;
        }

        Attachment describe(long size) {
            String cid = descriptor.getContentId();
            return new Attachment(index, SafeFilename.of(rawFilename(), index, mimeType()), mimeType(), size,
                    cid == null ? null : cid.replaceAll("^<|>$", ""), !dispositionAttachment());
        }
    }

    private static void walk(byte[] message, Visitor v) {
        MimeTokenStream stream = new MimeTokenStream(MimeHeaderReader.LENIENT, DecodeMonitor.SILENT, new DefaultBodyDescriptorBuilder());
        // An attached message is one attachment (downloadable as .eml), not parts mixed into this one.
        stream.setRecursionMode(RecursionMode.M_NO_RECURSE);
        stream.parse(new ByteArrayInputStream(message));
        int depth = 0;
        int leaves = 0;
        try {
            for (EntityState state = stream.getState(); state != EntityState.T_END_OF_STREAM; state = stream.next()) {
                switch (state) {
                    case T_START_MULTIPART, T_START_BODYPART -> depth++;
                    case T_END_MULTIPART, T_END_BODYPART -> depth--;
                    case T_FIELD -> {
                        if (depth == 0) {
                            Field f = stream.getField();
                            v.header(f instanceof RawField raw ? raw : RawFieldParser.DEFAULT.parseField(f.getRaw()));
                        }
                    }
                    case T_BODY -> {
                        PartInfo part = new PartInfo(leaves++, (MaximalBodyDescriptor) stream.getBodyDescriptor());
                        if (!v.leaf(part, stream.getDecodedInputStream())) {
                            return;
                        }
                    }
                    default -> { }
                }
            }
        } catch (MimeException | IOException e) {
            // Lenient parsing rarely throws; keep what was read, as a mail client shows a damaged message.
        } finally {
            stream.stop();
        }
    }

    /** Text of a part in its declared charset; unlabelled or unknown charsets by the UTF-8-else-Latin-1 rule. */
    private static String decodeText(byte[] bytes, MaximalBodyDescriptor d) {
        String declared = d.getContentTypeParameters().get("charset");
        Charset cs = declared == null ? null : CharsetUtil.lookup(declared.trim());
        if (cs == null || (cs.equals(StandardCharsets.US_ASCII) && !ascii(bytes))) {
            return MimeHeaderReader.decodeUnlabelled(bytes);
        }
        return new String(bytes, cs);
    }

    private static boolean ascii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    /** Reads at most {@code max} bytes; returns them and whether there was more (which is skipped, counted). */
    private static byte[] readCapped(InputStream in, int max, long[] total) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        long n = 0;
        for (int r; (r = in.read(buf)) > 0; ) {
            if (n < max) {
                out.write(buf, 0, (int) Math.min(r, max - n));
            }
            n += r;
        }
        total[0] = n;
        return out.toByteArray();
    }

    private static final class Collector implements Visitor {
        final List<Header> headers = new ArrayList<>();
        final List<Attachment> attachments = new ArrayList<>();
        String text;
        String html;
        boolean textTruncated;
        boolean htmlTruncated;
        boolean attachmentsTruncated;

        @Override
        public void header(RawField field) {
            if (headers.size() < MAX_HEADERS) {
                headers.add(new Header(field.getName(), MimeHeaderReader.displayValue(field)));
            }
        }

        @Override
        public boolean leaf(PartInfo part, InputStream decoded) throws IOException {
            long[] total = new long[1];
            if (text == null && part.body("text/plain")) {
                // A character is at most 4 bytes in any charset mail uses; cut by characters after decoding.
                byte[] bytes = readCapped(decoded, MAX_TEXT_CHARS * 4, total);
                String s = decodeText(bytes, part.descriptor());
                textTruncated = total[0] > bytes.length || s.length() > MAX_TEXT_CHARS;
                text = s.length() > MAX_TEXT_CHARS ? s.substring(0, MAX_TEXT_CHARS) : s;
            } else if (html == null && part.body("text/html")) {
                byte[] bytes = readCapped(decoded, MAX_TEXT_CHARS * 4, total);
                String s = decodeText(bytes, part.descriptor());
                htmlTruncated = total[0] > bytes.length || s.length() > MAX_TEXT_CHARS;
                html = s.length() > MAX_TEXT_CHARS ? s.substring(0, MAX_TEXT_CHARS) : s;
            } else if (attachments.size() < MAX_ATTACHMENTS) {
                readCapped(decoded, 0, total);
                attachments.add(part.describe(total[0]));
            } else {
                attachmentsTruncated = true;
            }
            return true;
        }
    }

    private static final class Finder implements Visitor {
        final int wanted;
        Download found;

        Finder(int wanted) {
            this.wanted = wanted;
        }

        @Override
        public void header(RawField field) {
        }

        @Override
        public boolean leaf(PartInfo part, InputStream decoded) throws IOException {
            if (part.index() != wanted) {
                return true;
            }
            byte[] content = decoded.readAllBytes();
            found = new Download(part.describe(content.length), content);
            return false;
        }
    }

    /**
     * An RFC 2231 parameter ({@code name*=charset'lang'%XX..}, possibly split as {@code name*0*}, {@code name*1}),
     * joined and decoded; null when the parameter is not given that way.
     */
    static String rfc2231(Map<String, String> params, String name) {
        if (params == null || params.isEmpty()) {
            return null;
        }
        String single = params.get(name + "*");
        TreeMap<Integer, String> segments = new TreeMap<>();
        boolean encoded = single != null;
        if (single == null) {
            for (Map.Entry<String, String> e : params.entrySet()) {
                String k = e.getKey().toLowerCase(Locale.ROOT);
                if (!k.startsWith(name + "*")) {
                    continue;
                }
                String rest = k.substring(name.length() + 1);
                boolean segEncoded = rest.endsWith("*");
                String digits = segEncoded ? rest.substring(0, rest.length() - 1) : rest;
                if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                encoded |= segEncoded && digits.equals("0");
                segments.put(Integer.parseInt(digits), e.getValue());
            }
            if (segments.isEmpty()) {
                return null;
            }
            single = String.join("", segments.values());
        }
        if (!encoded) {
            return single;
        }
        int first = single.indexOf('\'');
        int second = first < 0 ? -1 : single.indexOf('\'', first + 1);
        if (second < 0) {
            return single;
        }
        Charset cs = CharsetUtil.lookup(single.substring(0, first));
        try {
            // URLDecoder would turn '+' into a space, which RFC 2231 does not.
            return URLDecoder.decode(single.substring(second + 1).replace("+", "%2B"),
                    cs == null ? StandardCharsets.UTF_8 : cs);
        } catch (IllegalArgumentException e) {
            return single.substring(second + 1);
        }
    }
}
