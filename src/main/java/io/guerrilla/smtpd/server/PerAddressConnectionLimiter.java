package io.guerrilla.smtpd.server;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Per-client-address accounting for one listener: connections open at once and new connections per
 * minute (as Postfix's anvil). Keyed by the connection's client address, which is the one a trusted
 * proxy's PROXY header named when there is one: that header is read before the session starts, so
 * the session asks once, when it opens, not the accept loop. XCLIENT does not re-key it: the limits
 * count connections, and the connection is the XCLIENT sender's.
 *
 * <p>Thread-safe: sessions on every event loop share it. Memory is one small entry per address with
 * a connection open or a rate window still running; idle entries are swept once a minute.
 */
public final class PerAddressConnectionLimiter {
    /** What {@link #acquire} decided. */
    public enum Verdict { ADMITTED, TOO_MANY_CONNECTIONS, TOO_FAST }

    private static final long WINDOW_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final ConcurrentHashMap<InetAddress, Entry> clients = new ConcurrentHashMap<>();
    private final LongSupplier nanoClock;
    private final AtomicLong lastSweep;
    private volatile int maxConnectionsPerIp;
    private volatile int connectionsPerMinute;

    private static final class Entry {
        int open;
        long windowStart;
        int connectsInWindow;

        Entry(long now) {
            windowStart = now;
        }

        boolean idle(long now) {
            return open == 0 && now - windowStart >= WINDOW_NANOS;
        }
    }

    /**
     * @param maxConnectionsPerIp  connections open at once per address; 0 = no cap
     * @param connectionsPerMinute new connections per address per minute; 0 = no cap
     */
    public PerAddressConnectionLimiter(int maxConnectionsPerIp, int connectionsPerMinute) {
        this(maxConnectionsPerIp, connectionsPerMinute, System::nanoTime);
    }

    PerAddressConnectionLimiter(int maxConnectionsPerIp, int connectionsPerMinute, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.lastSweep = new AtomicLong(nanoClock.getAsLong());
        limits(maxConnectionsPerIp, connectionsPerMinute);
    }

    /**
     * New limits (a reload); connections already admitted stay, and what is counted carries over,
     * so a lowered cap applies at once to the next connection from a busy address.
     */
    public void limits(int maxConnectionsPerIp, int connectionsPerMinute) {
        this.maxConnectionsPerIp = maxConnectionsPerIp;
        this.connectionsPerMinute = connectionsPerMinute;
    }

    /** Counts a new connection from {@code client}; only an ADMITTED one must later be {@link #release}d. */
    public Verdict acquire(InetAddress client) {
        long now = nanoClock.getAsLong();
        sweepIfDue(now);
        Verdict[] verdict = new Verdict[1];
        clients.compute(client, (k, e) -> {
            Entry entry = e == null ? new Entry(now) : e;
            if (now - entry.windowStart >= WINDOW_NANOS) {
                entry.windowStart = now;
                entry.connectsInWindow = 0;
            }
            entry.connectsInWindow++;
            if (connectionsPerMinute > 0 && entry.connectsInWindow > connectionsPerMinute) {
                verdict[0] = Verdict.TOO_FAST;
            } else if (maxConnectionsPerIp > 0 && entry.open >= maxConnectionsPerIp) {
                verdict[0] = Verdict.TOO_MANY_CONNECTIONS;
            } else {
                entry.open++;
                verdict[0] = Verdict.ADMITTED;
            }
            return entry;
        });
        return verdict[0];
    }

    public void release(InetAddress client) {
        long now = nanoClock.getAsLong();
        clients.computeIfPresent(client, (k, e) -> {
            e.open--;
            return connectionsPerMinute == 0 && e.open == 0 || e.idle(now) ? null : e;
        });
    }

    /** Connections counted as open from {@code client}. */
    public int open(InetAddress client) {
        Entry e = clients.get(client);
        return e == null ? 0 : e.open;
    }

    /** Addresses tracked: those with a connection open or a rate window not yet over. */
    public int trackedAddresses() {
        return clients.size();
    }

    private void sweepIfDue(long now) {
        long last = lastSweep.get();
        if (now - last < WINDOW_NANOS || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        for (InetAddress a : clients.keySet()) {
            clients.computeIfPresent(a, (k, e) -> e.idle(now) ? null : e);
        }
    }
}
