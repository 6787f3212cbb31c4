package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.config.Limits;
import io.guerrilla.smtpd.store.KeyValueBodies;
import io.guerrilla.smtpd.store.StoreUnavailableException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Keeps each copy's bytes in Redis under its hash with a TTL, as go-guerrilla's GuerrillaRedisDB and
 * the PHP original: the row then says {@code body = 'redis'} and has an empty {@code mail}. The SETs
 * are acknowledged before the row is written, so a row never points at a body that is not there.
 *
 * <p>With {@code wait_replicas}, a WAIT after the SETs must see that many replicas acknowledge them
 * within {@code wait_timeout_ms}, or the message gets 451: the body is then on more than one server
 * before the 250. WAIT holds this one connection meanwhile; the SETs of other messages queue behind it.
 *
 * <p>Redis being down is a temporary failure: commands are refused at once while disconnected (not
 * queued, which would hold messages in memory), the message gets 451, and Lettuce reconnects by itself.
 */
final class Redis implements Processor {
    static final String BODY = KeyValueBodies.REDIS;

    private final RedisClient client;
    private final RedisURI uri;
    private final int ttl;
    private final int waitReplicas;
    private final int waitTimeoutMs;
    private CompletableFuture<StatefulRedisConnection<String, byte[]>> connection;
    private volatile boolean healthy = true;

    Redis(KeyValueSettings c) {
        this.uri = KeyValueBodies.redisUri(c.host(), c.port(), c.database(), c.password(), Duration.ofMillis(c.timeoutMs()));
        this.ttl = c.ttl();
        this.waitReplicas = c.waitReplicas();
        this.waitTimeoutMs = c.waitTimeoutMs();
        this.client = KeyValueBodies.redisClient(Duration.ofMillis(c.timeoutMs()));
    }

    /**
     * Why a 250 for a body kept in this Redis might not survive a Redis restart, read from the server's
     * own settings (CONFIG GET appendonly appendfsync; INFO replication for wait_replicas); empty when
     * it would. A server that refuses CONFIG (renamed, ACL) or cannot be reached is said so, not guessed.
     */
    static List<String> durabilityWarnings(KeyValueSettings c) {
        String redis = "store.redis: Redis at " + c.host() + ":" + c.port();
        String fix = "; \"250 = stored\" holds for Redis bodies only with appendonly yes and appendfsync always"
                + " (or wait_replicas with a failover that promotes a replica)";
        Duration timeout = Duration.ofMillis(Math.max(c.timeoutMs(), Limits.REDIS_CHECK_TIMEOUT_MS));
        RedisClient client = KeyValueBodies.redisClient(timeout);
        try (StatefulRedisConnection<String, String> conn = client.connect(
                KeyValueBodies.redisUri(c.host(), c.port(), c.database(), c.password(), timeout))) {
            RedisCommands<String, String> cmd = conn.sync();
            List<String> out = new ArrayList<>();
            try {
                Map<String, String> conf = cmd.configGet("appendonly", "appendfsync");
                String appendonly = conf.getOrDefault("appendonly", "?");
                String appendfsync = conf.getOrDefault("appendfsync", "?");
                if (!"yes".equals(appendonly)) {
                    out.add(redis + " has appendonly " + appendonly + ": bodies acknowledged with 250 are LOST when Redis restarts" + fix);
                } else if (!"always".equals(appendfsync)) {
                    out.add(redis + " has appendfsync " + appendfsync + ": bodies acknowledged with 250 in the last second"
                            + " or more before a crash of Redis or its machine are LOST" + fix);
                }
            } catch (RedisCommandExecutionException refused) {
                out.add(redis + " refused CONFIG GET (" + refused.getMessage() + "): its persistence is unknown" + fix);
            }
            if (c.waitReplicas() > 0) {
                long replicas = cmd.info("replication").lines().filter(l -> l.startsWith("connected_slaves:"))
                        .mapToLong(l -> Long.parseLong(l.substring("connected_slaves:".length()).trim())).findFirst().orElse(0);
                if (replicas < c.waitReplicas()) {
                    out.add(redis + " has " + replicas + " connected replicas but wait_replicas is " + c.waitReplicas()
                            + ": every message gets 451 until enough replicas connect");
                }
            }
            return out;
        } catch (RedisException e) {
            String why = e.getCause() == null ? e.getMessage() : e.getMessage() + ": " + e.getCause().getMessage();
            return List.of(redis + " could not be asked (" + why + "): its persistence was not checked" + fix);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
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
            CompletableFuture<Void> written = CompletableFuture.allOf(sets);
            return waitReplicas == 0 ? written : written.thenCompose(v -> redis.waitForReplication(waitReplicas, waitTimeoutMs)
                    .toCompletableFuture().thenCompose(this::enoughReplicas));
        }).thenRun(() -> m.copies().forEach(copy -> copy.movedTo(BODY)))
                .whenComplete((ok, err) -> healthy = err == null);
    }

    private CompletableFuture<Void> enoughReplicas(Long acknowledged) {
        if (acknowledged == null || acknowledged < waitReplicas) {
            return CompletableFuture.failedFuture(new StoreUnavailableException("redis: " + acknowledged + " of "
                    + waitReplicas + " replicas acknowledged the body within " + waitTimeoutMs + " ms (wait_replicas)"));
        }
        return CompletableFuture.completedFuture(null);
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
