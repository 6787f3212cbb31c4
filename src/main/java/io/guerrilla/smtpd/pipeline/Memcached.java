package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.store.KeyValueBodies;
import io.guerrilla.smtpd.store.StoreUnavailableException;
import net.rubyeye.xmemcached.MemcachedClient;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * Keeps each copy's bytes in Memcached under its hash with a TTL (the PHP original's Memcached mode):
 * the row then says {@code body = 'memcached'} and has an empty {@code mail}. Each SET is acknowledged
 * before the row is written. xmemcached reconnects by itself; while no server is connected the SET
 * fails and the message gets 451. The calls block for at most {@code timeout_ms}, on the pipeline's
 * executor, never on the event loop.
 */
final class Memcached implements Processor {
    static final String BODY = KeyValueBodies.MEMCACHED;
    /** Memcached has no persistence and evicts under memory pressure: said at start and by check-config. */
    static final String VOLATILE = "store.memcached: Memcached keeps bodies in memory only and evicts them when full:"
            + " a Memcached restart or eviction LOSES bodies already acknowledged with 250 (the rows stay and point"
            + " at missing keys); use SQL bodies or Redis with appendfsync always where 250 must mean stored";

    private final MemcachedClient client;
    private final int ttl;
    private final long timeoutMs;
    private volatile boolean healthy = true;

    Memcached(KeyValueSettings c) {
        this.client = KeyValueBodies.memcachedClient(c.host(), c.port(), c.timeoutMs());
        this.ttl = c.ttl();
        this.timeoutMs = c.timeoutMs();
    }

    @Override
    public CompletableFuture<Void> process(Message m) {
        try {
            for (Message.Copy copy : m.copies()) {
                if (!client.set(copy.hash(), ttl, copy.readAllBytes(), timeoutMs)) {
                    throw new StoreUnavailableException("memcached did not store " + copy.hash());
                }
            }
        } catch (Exception e) {
            healthy = false;
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return CompletableFuture.failedFuture(e);
        }
        healthy = true;
        m.copies().forEach(copy -> copy.movedTo(BODY));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public boolean isHealthy() {
        return healthy && !client.getAvailableServers().isEmpty();
    }

    @Override
    public void close() {
        try {
            client.shutdown();
        } catch (IOException ignored) {
            // Shutting down: every acknowledged body was stored before its 250.
        }
    }
}
