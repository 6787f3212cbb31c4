package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.store.StoreUnavailableException;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.transcoders.SerializingTranscoder;
import net.rubyeye.xmemcached.utils.AddrUtil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

/**
 * Keeps each copy's bytes in Memcached under its hash with a TTL (the PHP original's Memcached mode):
 * the row then says {@code body = 'memcached'} and has an empty {@code mail}. Each SET is acknowledged
 * before the row is written. xmemcached reconnects by itself; while no server is connected the SET
 * fails and the message gets 451. The calls block for at most {@code timeout_ms}, on the pipeline's
 * executor, never on the event loop.
 */
final class Memcached implements Processor {
    static final String BODY = "memcached";
    /** Memcached has no persistence and evicts under memory pressure: said at start and by check-config. */
    static final String VOLATILE = "store.memcached: Memcached keeps bodies in memory only and evicts them when full:"
            + " a Memcached restart or eviction LOSES bodies already acknowledged with 250 (the rows stay and point"
            + " at missing keys); use SQL bodies or Redis with appendfsync always where 250 must mean stored";

    private final MemcachedClient client;
    private final int ttl;
    private final long timeoutMs;
    private volatile boolean healthy = true;

    Memcached(KeyValueSettings c) {
        XMemcachedClientBuilder b = new XMemcachedClientBuilder(AddrUtil.getAddresses(c.host() + ":" + c.port()));
        b.setConnectTimeout(c.timeoutMs());
        b.setOpTimeout(c.timeoutMs());
        SerializingTranscoder raw = new SerializingTranscoder();
        // Values must be the bytes readers expect: no Java-side compression flag games.
        raw.setCompressionThreshold(Integer.MAX_VALUE);
        b.setTranscoder(raw);
        try {
            this.client = b.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the Memcached client for " + c.host() + ":" + c.port(), e);
        }
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
