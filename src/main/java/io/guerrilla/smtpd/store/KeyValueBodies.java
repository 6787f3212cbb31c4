package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.config.StoreConfig.KeyValueConfig;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.transcoders.SerializingTranscoder;
import net.rubyeye.xmemcached.utils.AddrUtil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * Message bodies kept in Redis or Memcached under their hash ({@code body = 'redis'/'memcached'}):
 * how a client for each is set up (shared by the pipeline that writes them), and reading them back.
 * Readers open their own connections, lazily, so reading never shares a connection with receiving.
 */
public final class KeyValueBodies implements AutoCloseable {
    public static final String REDIS = "redis";
    public static final String MEMCACHED = "memcached";
    public static final RedisCodec<String, byte[]> REDIS_CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final StoreConfig config;
    private RedisClient redisClient;
    private StatefulRedisConnection<String, byte[]> redis;
    private MemcachedClient memcached;

    public KeyValueBodies(StoreConfig config) {
        this.config = config;
    }

    public static RedisURI redisUri(KeyValueConfig c) {
        return redisUri(c, Duration.ofMillis(c.timeoutMs));
    }

    public static RedisURI redisUri(KeyValueConfig c, Duration timeout) {
        return redisUri(c.host, c.port, c.database, c.password, timeout);
    }

    public static RedisURI redisUri(String host, int port, int database, String password, Duration timeout) {
        RedisURI.Builder b = RedisURI.builder().withHost(host).withPort(port).withDatabase(database).withTimeout(timeout);
        if (password != null && !password.isEmpty()) {
            b.withPassword(password.toCharArray());
        }
        return b.build();
    }

    /**
     * Commands are refused at once while disconnected (not queued, which would hold them in memory)
     * and time out after {@code timeout_ms}; Lettuce reconnects by itself.
     */
    public static RedisClient redisClient(KeyValueConfig c) {
        return redisClient(Duration.ofMillis(c.timeoutMs));
    }

    /** As {@link #redisClient(KeyValueConfig)}, with its own timeout (a one-off check may wait longer). */
    public static RedisClient redisClient(Duration timeout) {
        RedisClient client = RedisClient.create();
        client.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
                .build());
        return client;
    }

    /** Values are exactly the stored bytes: the transcoder never compresses or serializes them. */
    public static MemcachedClient memcachedClient(KeyValueConfig c) {
        return memcachedClient(c.host, c.port, c.timeoutMs);
    }

    public static MemcachedClient memcachedClient(String host, int port, int timeoutMs) {
        XMemcachedClientBuilder b = new XMemcachedClientBuilder(AddrUtil.getAddresses(host + ":" + port));
        b.setConnectTimeout(timeoutMs);
        b.setOpTimeout(timeoutMs);
        SerializingTranscoder raw = new SerializingTranscoder();
        raw.setCompressionThreshold(Integer.MAX_VALUE);
        b.setTranscoder(raw);
        try {
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the Memcached client for " + host + ":" + port, e);
        }
    }

    /**
     * The bytes kept under {@code hash}, as they were stored (possibly compressed; see {@link StoredBodies}).
     *
     * @return null when the key is gone (its TTL passed, or the server lost it)
     * @throws StoreUnavailableException when the server cannot be asked
     */
    public byte[] fetch(String kind, String hash) throws StoreUnavailableException {
        try {
            return switch (kind) {
                case REDIS -> redis().sync().get(hash);
                case MEMCACHED -> memcached().get(hash, config.memcached.timeoutMs);
                default -> throw new IllegalArgumentException("not a key-value body: " + kind);
            };
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new StoreUnavailableException(kind + " did not answer for " + hash + ": " + e.getMessage(), e);
        }
    }

    private synchronized StatefulRedisConnection<String, byte[]> redis() {
        if (redis == null) {
            if (redisClient == null) {
                redisClient = redisClient(config.redis);
            }
            redis = redisClient.connect(REDIS_CODEC, redisUri(config.redis));
        }
        return redis;
    }

    private synchronized MemcachedClient memcached() {
        if (memcached == null) {
            memcached = memcachedClient(config.memcached);
        }
        return memcached;
    }

    @Override
    public synchronized void close() {
        if (redis != null) {
            redis.close();
        }
        if (redisClient != null) {
            redisClient.shutdown();
        }
        if (memcached != null) {
            try {
                memcached.shutdown();
            } catch (IOException ignored) {
                // Reading only: nothing is lost by an unclean close.
            }
        }
    }
}
