package io.guerrilla.smtpd.pipeline;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Compresses each copy (trace headers included) as zlib (RFC 1950, what go-guerrilla writes) or gzip
 * (RFC 1952, what {@code gunzip} reads); the row's {@code body} column names the format so readers
 * know how to open {@code mail}.
 */
final class Compressor implements Processor {
    private final String format;

    Compressor(String format) {
        this.format = format.toLowerCase(Locale.ROOT);
    }

    @Override
    public CompletableFuture<Void> process(Message m) {
        for (Message.Copy c : m.copies()) {
            c.replace(compress(c.data()), format);
        }
        return CompletableFuture.completedFuture(null);
    }

    private byte[] compress(byte[] data) {
        // Mail text typically compresses 3-4x; start near that to avoid regrowing.
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, data.length / 3));
        try (OutputStream z = "gzip".equals(format) ? new GZIPOutputStream(out) : new DeflaterOutputStream(out)) {
            z.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException("in-memory compression", e);
        }
        return out.toByteArray();
    }
}
