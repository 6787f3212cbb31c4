package io.guerrilla.smtpd.store;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * The bytes of a row's {@code mail} column, read only when the row is written: small ones are read
 * into one array and batched, large ones are streamed to the database, so a 1 GiB message never has
 * to fit on the heap.
 */
public interface MailBytes {

    long length();

    /** A new stream over exactly {@link #length()} bytes. */
    InputStream open() throws IOException;

    /** All of it in one array: for small rows, and for stores that take nothing else. */
    default byte[] readAllBytes() throws IOException {
        long length = length();
        if (length > Integer.MAX_VALUE - 8) {
            throw new IOException(length + " octets do not fit in one array");
        }
        byte[] all = new byte[(int) length];
        try (InputStream in = open()) {
            if (in.readNBytes(all, 0, all.length) != all.length) {
                throw new EOFException("message shorter than its recorded size");
            }
        }
        return all;
    }
}
