package io.guerrilla.smtpd.mail;

import io.netty.util.internal.PlatformDependent;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The direct memory all message bodies being received may hold together, shared by every listener
 * (see {@code docs/memory.md}). A body reserves what its buffers take as they grow; when the budget is
 * spent a body that would grow spills to its file at once instead, a new message is refused with
 * 451 4.3.1, and connections receiving content stop reading until chunks written to their files or
 * messages stored give memory back. So the JVM is not asked for more direct memory than it has: a
 * failed read buffer would make Netty close the connection without a reply.
 *
 * <p>Reservations are counted, not enforced: bytes already read must be kept, so {@link #reserve}
 * may go past the limit by what one read brings per connection, and the caller then stops reading.
 */
public final class MemoryBudget {
    /** For bodies that need no bound (a processor's derived copy, tests). */
    public static final MemoryBudget UNBOUNDED = new MemoryBudget(Long.MAX_VALUE);

    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    public MemoryBudget(long limit) {
        this.limit = limit;
    }

    /**
     * A budget of {@code configured} octets, or when 0, {@code share} of the direct memory this JVM
     * may use (-XX:MaxDirectMemorySize, which defaults to the maximum heap).
     */
    public static MemoryBudget of(long configured, double share) {
        return new MemoryBudget(configured > 0 ? configured : (long) (PlatformDependent.maxDirectMemory() * share));
    }

    public long limit() {
        return limit;
    }

    public long used() {
        return used.get();
    }

    /** Takes {@code n} octets if they fit under the limit; false (nothing taken) if not. */
    public boolean tryReserve(long n) {
        long now = used.get();
        while (now + n <= limit) {
            if (used.compareAndSet(now, now + n)) {
                return true;
            }
            now = used.get();
        }
        return false;
    }

    /** Takes {@code n} octets even past the limit: for bytes already read, which must be kept. */
    public void reserve(long n) {
        used.addAndGet(n);
    }

    public void release(long n) {
        if (used.addAndGet(-n) < limit) {
            for (Runnable r; (r = waiting.poll()) != null; ) {
                r.run();
            }
        }
    }

    /** Whether the limit is reached: connections receiving a body should stop reading. */
    public boolean exhausted() {
        return used.get() >= limit;
    }

    /** Runs {@code resume} once the budget is below its limit (at once if it is), on the releasing thread. */
    public void whenAvailable(Runnable resume) {
        waiting.add(resume);
        if (!exhausted() && waiting.remove(resume)) {
            resume.run();
        }
    }
}
