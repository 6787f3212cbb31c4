package io.guerrilla.smtpd.metrics;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The most frequent values (client addresses, HELO names, recipient domains) of the last few
 * minutes, in memory bounded whatever clients send.
 *
 * <p>The window is a ring of buckets, each covering an equal slice of time; a bucket older than
 * the window is cleared when its slot comes round again, so old values expire without a timer.
 * Each bucket counts at most {@code maxKeysPerBucket} distinct values with the Space-Saving
 * algorithm (Metwally, Agrawal, El Abbadi 2005): a new value arriving at a full bucket takes the
 * place of the least-counted one and inherits its count. Any value seen more often than
 * {@code total / maxKeysPerBucket} times in a bucket is therefore kept, so a flood of distinct
 * names (random HELOs) cannot push a real heavy hitter out, and the counts of what is shown are
 * at most over-estimated by the count it replaced.
 *
 * <p>Thread-safe: called on the SMTP event loops, read by the dashboard's sampler.
 */
public final class RecentTopValues {
    /** How far back the lists look: long enough to see a burst, short enough to show what happens now. */
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(5);
    /** Slices of the window: a value expires at most window/buckets after it left the window. */
    public static final int DEFAULT_BUCKETS = 10;
    /**
     * Distinct values counted per bucket: bounds memory and the eviction scan against a flood of
     * made-up names, while a value with more than 1/256 of a bucket's traffic is never lost.
     */
    public static final int DEFAULT_MAX_KEYS_PER_BUCKET = 256;
    /** Characters kept of a value: a HELO line may be 512 octets, and a name that long is abuse anyway. */
    public static final int MAX_VALUE_CHARS = 100;

    private final Clock clock;
    private final long bucketMillis;
    private final int maxKeysPerBucket;
    private final Bucket[] ring;

    public RecentTopValues(Clock clock) {
        this(clock, DEFAULT_WINDOW, DEFAULT_BUCKETS, DEFAULT_MAX_KEYS_PER_BUCKET);
    }

    public RecentTopValues(Clock clock, Duration window, int buckets, int maxKeysPerBucket) {
        if (buckets < 1 || maxKeysPerBucket < 1 || window.toMillis() < buckets) {
            throw new IllegalArgumentException("window " + window + ", " + buckets + " buckets, "
                    + maxKeysPerBucket + " keys per bucket");
        }
        this.clock = clock;
        this.bucketMillis = window.toMillis() / buckets;
        this.maxKeysPerBucket = maxKeysPerBucket;
        this.ring = new Bucket[buckets];
        for (int i = 0; i < buckets; i++) {
            ring[i] = new Bucket();
        }
    }

    /** A value and how often it was seen in the window (an upper bound once its bucket was full). */
    public record Entry(String value, long count) {
    }

    /** Counts one occurrence of {@code value} now; null is ignored. */
    public void add(String value) {
        if (value == null) {
            return;
        }
        String v = value.length() > MAX_VALUE_CHARS ? value.substring(0, MAX_VALUE_CHARS) : value;
        long slice = clock.millis() / bucketMillis;
        synchronized (this) {
            Bucket b = ring[(int) (slice % ring.length)];
            if (b.slice != slice) {
                b.slice = slice;
                b.counts.clear();
            }
            b.add(v, maxKeysPerBucket);
        }
    }

    /** The {@code k} most frequent values of the window, most frequent first (ties by value). */
    public List<Entry> top(int k) {
        long now = clock.millis() / bucketMillis;
        Map<String, Long> sum = new HashMap<>();
        synchronized (this) {
            for (Bucket b : ring) {
                if (b.slice > now - ring.length && b.slice <= now) {
                    b.counts.forEach((v, c) -> sum.merge(v, c, Long::sum));
                }
            }
        }
        List<Entry> all = new ArrayList<>(sum.size());
        sum.forEach((v, c) -> all.add(new Entry(v, c)));
        all.sort(Comparator.comparingLong(Entry::count).reversed().thenComparing(Entry::value));
        return all.size() > k ? List.copyOf(all.subList(0, k)) : all;
    }

    /** Distinct values held now, over all buckets: what the memory bound is about. */
    synchronized int distinctHeld() {
        int n = 0;
        for (Bucket b : ring) {
            n += b.counts.size();
        }
        return n;
    }

    private static final class Bucket {
        long slice = Long.MIN_VALUE;
        final Map<String, Long> counts = new HashMap<>();

        void add(String value, int max) {
            Long c = counts.get(value);
            if (c != null) {
                counts.put(value, c + 1);
                return;
            }
            if (counts.size() < max) {
                counts.put(value, 1L);
                return;
            }
            String least = null;
            long min = Long.MAX_VALUE;
            for (Map.Entry<String, Long> e : counts.entrySet()) {
                if (e.getValue() < min) {
                    min = e.getValue();
                    least = e.getKey();
                }
            }
            counts.remove(least);
            counts.put(value, min + 1);
        }
    }
}
