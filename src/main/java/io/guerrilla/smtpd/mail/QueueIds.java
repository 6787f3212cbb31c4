package io.guerrilla.smtpd.mail;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Message ids unique across restarts and across nodes writing to one database: the start time,
 * a random node part and a per-process counter, so no coordination is needed. Upper-cased in
 * {@link Locale#ROOT}: a Turkish default locale would turn base 36's {@code i} into a dotted
 * {@code İ}, a non-ASCII character in the reply and the Received header.
 */
public final class QueueIds {
    private static final String PREFIX = Long.toString(System.currentTimeMillis(), 36).toUpperCase(Locale.ROOT)
            + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36).toUpperCase(Locale.ROOT);
    private static final AtomicLong COUNTER = new AtomicLong();

    private QueueIds() {
    }

    public static String next() {
        return PREFIX + Long.toString(COUNTER.incrementAndGet(), 36).toUpperCase(Locale.ROOT);
    }
}
