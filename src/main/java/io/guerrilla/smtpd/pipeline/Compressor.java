package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.config.Compression;
import io.guerrilla.smtpd.mail.MessageBody;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Compresses each copy (trace headers included) as zlib (RFC 1950, what go-guerrilla writes) or gzip
 * (RFC 1952, what {@code gunzip} reads); the row's {@code body} column names the format so readers
 * know how to open {@code mail}.
 */
final class Compressor implements Processor {
    private final Compression format;

    Compressor(Compression format) {
        this.format = format;
    }

    /** Deflater output chunk: few appends per message, small next to the spill threshold. */
    private static final int BUFFER_BYTES = 64 * 1024;

    @Override
    public CompletableFuture<Void> process(Message m) {
        try {
            for (Message.Copy c : m.copies()) {
                MessageBody out = m.newBody();
                if (format == Compression.GZIP) {
                    try (InputStream in = c.open(); OutputStream z = new GZIPOutputStream(out.outputStream(), BUFFER_BYTES)) {
                        in.transferTo(z);
                    }
                } else {
                    // A Deflater passed in is not ended by the stream: its native memory is freed here.
                    Deflater deflater = new Deflater();
                    try (InputStream in = c.open();
                         OutputStream z = new DeflaterOutputStream(out.outputStream(), deflater, BUFFER_BYTES, false)) {
                        in.transferTo(z);
                    } finally {
                        deflater.end();
                    }
                }
                c.replace(out, format.body());
            }
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        return CompletableFuture.completedFuture(null);
    }
}
