package io.guerrilla.smtpd.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/** Turns a stored {@code mail} value back into the message, as the row's {@code body} column says it was kept. */
public final class StoredBodies {
    public static final String ZLIB = "zlib";
    public static final String GZIP = "gzip";

    private StoredBodies() {
    }

    /**
     * The message bytes: zlib and gzip rows inflated, others as they are. A Redis or Memcached body
     * written after the Compressor step is compressed while its row says only where it lives, so for
     * those the format is recognised by its header (a message starts with a header field name, which
     * never forms a valid zlib or gzip header).
     */
    public static byte[] decode(String body, byte[] stored) throws IOException {
        String format = switch (body) {
            case ZLIB, GZIP -> body;
            case KeyValueBodies.REDIS, KeyValueBodies.MEMCACHED -> sniff(stored);
            default -> "";
        };
        return switch (format) {
            case ZLIB -> new InflaterInputStream(new ByteArrayInputStream(stored)).readAllBytes();
            case GZIP -> new GZIPInputStream(new ByteArrayInputStream(stored)).readAllBytes();
            default -> stored;
        };
    }

    private static String sniff(byte[] b) {
        if (b.length >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b) {
            return GZIP;
        }
        // RFC 1950: deflate method (CM = 8) and a check value making CMF*256 + FLG a multiple of 31.
        if (b.length >= 2 && (b[0] & 0x0f) == 8 && (((b[0] & 0xff) << 8) | (b[1] & 0xff)) % 31 == 0) {
            return ZLIB;
        }
        return "";
    }
}
