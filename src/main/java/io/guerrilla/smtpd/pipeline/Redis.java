package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.config.StoreConfig.KeyValueConfig;
import io.guerrilla.smtpd.store.KeyValueBodies;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

/**
 * Keeps each copy's bytes in Redis under its hash with a TTL, as go-guerrilla's GuerrillaRedisDB and
 * the PHP original: the row then says {@code body = 'redis'} and has an empty {@code mail}. The SETs
 * are acknowledged before the row is written, so a row never points at a body that is not there.
 *
 * <p>Redis being down is a temporary failure: commands are refused at once while disconnected (not
 * queued, which would hold messages in memory), the message gets 451, and Lettuce reconnects by itself.
 */
final class Redis implements Processor {
    static final String BODY = KeyValueBodies.REDIS;

    private final RedisClient client;
    private final RedisURI uri;
    private final int ttl;
    private CompletableFuture<StatefulRedisConnection<String, byte[]>> connection;
    private volatile boolean healthy = true;

    Redis(KeyValueConfig c) {
        this.uri = KeyValueBodies.redisUri(c);
        this.ttl = c.ttl;
        this.client = KeyValueBodies.redisClient(c);
    }

    /** The connection, (re)connecting when the server start found Redis down; Lettuce reconnects once connected. */
    private synchronized CompletableFuture<StatefulRedisConnection<String, byte[]>> connection() {
        if (connection == null || connection.isCompletedExceptionally()) {
            connection = client.connectAsync(KeyValueBodies.REDIS_CODEC, uri).toCompletableFuture();
        }
        return connection;
    }

    @Override
    public CompletableFuture<Void> process(Message m) {
        return connection().thenCompose(c -> {
            RedisAsyncCommands<String, byte[]> redis = c.async();
            CompletableFuture<?>[] sets = new CompletableFuture<?>[m.copies().size()];
            for (int i = 0; i < sets.length; i++) {
                Message.Copy copy = m.copies().get(i);
                byte[] data = bytes(copy);
                sets[i] = (ttl > 0 ? redis.set(copy.hash(), data, SetArgs.Builder.ex(ttl))
                        : redis.set(copy.hash(), data)).toCompletableFuture();
            }
            return CompletableFuture.allOf(sets);
        }).thenRun(() -> m.copies().forEach(copy -> copy.movedTo(BODY)))
                .whenComplete((ok, err) -> healthy = err == null);
    }

    private static byte[] bytes(Message.Copy copy) {
        try {
            return copy.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean isHealthy() {
        return healthy;
    }

    @Override
    public void close() {
        CompletableFuture<StatefulRedisConnection<String, byte[]>> c;
        synchronized (this) {
            c = connection;
        }
        if (c != null && c.isDone() && !c.isCompletedExceptionally()) {
            c.join().close();
        }
        client.shutdown();
    }
}
