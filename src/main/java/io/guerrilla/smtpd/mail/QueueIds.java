package io.guerrilla.smtpd.mail;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Message ids unique across restarts and across nodes writing to one database: the start time,
 * a random node part and a per-process counter, so no coordination is needed.
 */
public final class QueueIds {
    private static final String PREFIX = Long.toString(System.currentTimeMillis(), 36).toUpperCase()
            + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36).toUpperCase();
    private static final AtomicLong COUNTER = new AtomicLong();

    private QueueIds() {
    }

    public static String next() {
        return PREFIX + Long.toString(COUNTER.incrementAndGet(), 36).toUpperCase();
    }
}
