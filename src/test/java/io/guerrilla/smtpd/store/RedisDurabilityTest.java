package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.pipeline.Pipeline;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.NeedsServices;
import io.guerrilla.smtpd.support.PrivateService;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "250 = stored" for bodies kept in Redis: the server reads Redis's persistence settings and says when
 * a 250 would not survive a Redis restart; with AOF appendfsync always a kill -9 of Redis loses no
 * acknowledged body; wait_replicas turns too few replica acknowledgements into 451.
 */
@NeedsServices
class RedisDurabilityTest {
    private static final List<String> AOF_ALWAYS = List.of("--appendonly", "yes", "--appendfsync", "always");

    private static StoreConfig redisAt(int port) {
        StoreConfig c = new StoreConfig();
        c.saveProcess = "HeadersParser|Header|Hasher|Redis|SQL";
        c.redis.port = port;
        c.redis.timeoutMs = 1000;
        return c;
    }

    @Test
    void theSharedRedisIsWarnedAboutExactlyWhenItsSettingsLoseBodies() {
        Databases.require("Redis", 6379);
        Map<String, String> conf;
        RedisClient client = RedisClient.create("redis://127.0.0.1:6379");
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            conf = c.sync().configGet("appendonly", "appendfsync");
        } finally {
            client.shutdown();
        }
        boolean durable = "yes".equals(conf.get("appendonly")) && "always".equals(conf.get("appendfsync"));
        List<String> warnings = Pipeline.durabilityWarnings(redisAt(6379));
        if (durable) {
            assertThat(warnings).isEmpty();
        } else {
            assertThat(warnings).singleElement().asString().contains("Redis at 127.0.0.1:6379 has append", "LOST");
        }
    }

    @Test
    void withoutAofA250IsSaidToBeLostOnRestart(@TempDir Path dir) throws Exception {
        try (PrivateService redis = PrivateService.redis(dir)) {
            assertThat(Pipeline.durabilityWarnings(redisAt(redis.port))).singleElement().asString()
                    .contains("has appendonly no: bodies acknowledged with 250 are LOST when Redis restarts",
                            "appendfsync always");
        }
    }

    @Test
    void aofEverysecIsSaidToLoseTheLastSecond(@TempDir Path dir) throws Exception {
        try (PrivateService redis = PrivateService.redis(dir, List.of("--appendonly", "yes", "--appendfsync", "everysec"))) {
            assertThat(Pipeline.durabilityWarnings(redisAt(redis.port))).singleElement().asString()
                    .contains("has appendfsync everysec", "LOST");
        }
    }

    @Test
    void aofAlwaysGivesNoWarning(@TempDir Path dir) throws Exception {
        try (PrivateService redis = PrivateService.redis(dir, AOF_ALWAYS)) {
            assertThat(Pipeline.durabilityWarnings(redisAt(redis.port))).isEmpty();
        }
    }

    @Test
    void aRefusedConfigCommandIsSaidNotGuessed(@TempDir Path dir) throws Exception {
        try (PrivateService redis = PrivateService.redis(dir, List.of("--rename-command", "CONFIG", ""))) {
            assertThat(Pipeline.durabilityWarnings(redisAt(redis.port))).singleElement().asString()
                    .contains("refused CONFIG GET", "persistence is unknown");
        }
    }

    @Test
    void anUnreachableRedisIsSaidNotChecked() throws Exception {
        assertThat(Pipeline.durabilityWarnings(redisAt(PrivateService.freePort()))).singleElement().asString()
                .contains("could not be asked", "not checked");
    }

    @Test
    void memcachedIsSaidToBeVolatile() {
        StoreConfig c = new StoreConfig();
        c.saveProcess = "HeadersParser|Header|Hasher|Memcached|SQL";
        assertThat(Pipeline.durabilityWarnings(c)).singleElement().asString().contains("memory only", "LOSES bodies");
    }

    @Test
    void aKill9OfRedisWithAofAlwaysLosesNoAcknowledgedBody(@TempDir Path dir) throws Exception {
        try (PrivateService redis = PrivateService.redis(dir, AOF_ALWAYS);
             TestServer server = TestServer.start(c -> {
                 c.store.saveProcess = "HeadersParser|Header|Hasher|Redis|SQL";
                 c.store.redis.port = redis.port;
                 c.store.redis.timeoutMs = 500;
                 c.store.redis.ttl = 0;
             })) {
            List<String> acked = new CopyOnWriteArrayList<>();
            List<String> other = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                for (int i = 0; !stop.get() && i < 2000; i++) {
                    String subject = "aof-" + i;
                    try {
                        String reply = SmtpClient.deliver(server.port(), "s@remote.test", "r@example.com", subject);
                        (reply.startsWith("250") ? acked : other).add(subject + " " + reply);
                    } catch (Exception e) {
                        other.add(subject + " " + e);
                    }
                }
            });
            while (acked.size() < 40 && !sender.isDone()) {
                Thread.sleep(5);
            }
            redis.kill();
            while (other.isEmpty() && !sender.isDone()) {
                Thread.sleep(5);
            }
            redis.start();
            int ackedBefore = acked.size();
            while (acked.size() < ackedBefore + 20 && !sender.isDone()) {
                Thread.sleep(20);
            }
            stop.set(true);
            sender.get(60, TimeUnit.SECONDS);

            assertThat(other).as("the kill was seen by some sends").isNotEmpty().allMatch(r -> r.contains(" 451 "));
            List<Map<String, Object>> rows = server.rows();
            List<String> missing = new ArrayList<>();
            RedisClient client = RedisClient.create("redis://127.0.0.1:" + redis.port);
            try (StatefulRedisConnection<String, String> conn = client.connect()) {
                RedisCommands<String, String> cmd = conn.sync();
                for (String a : acked) {
                    String subject = a.substring(0, a.indexOf(' '));
                    List<Map<String, Object>> row = rows.stream().filter(r -> subject.equals(r.get("subject"))).toList();
                    assertThat(row).as("one row for acknowledged %s", subject).hasSize(1);
                    if (cmd.exists(String.valueOf(row.get(0).get("hash"))) != 1) {
                        missing.add(subject);
                    }
                }
            } finally {
                client.shutdown();
            }
            assertThat(acked.size()).isGreaterThan(60);
            assertThat(missing).as("acknowledged bodies missing from Redis after kill -9 and restart, of " + acked.size()).isEmpty();
            assertThat(rows).as("no row without a 250").hasSize(acked.size());
        }
    }

    @Test
    void waitReplicasWithoutAReplicaAnswers451AndStoresNoRow(@TempDir Path dir) throws Exception {
        try (PrivateService redis = PrivateService.redis(dir, AOF_ALWAYS);
             TestServer server = TestServer.start(c -> {
                 c.store.saveProcess = "HeadersParser|Header|Hasher|Redis|SQL";
                 c.store.redis.port = redis.port;
                 c.store.redis.waitReplicas = 1;
                 c.store.redis.waitTimeoutMs = 200;
             })) {
            assertThat(Pipeline.durabilityWarnings(server.config.store)).singleElement().asString()
                    .contains("0 connected replicas but wait_replicas is 1");
            assertThat(SmtpClient.deliver(server.port(), "s@remote.test", "r@example.com", "unreplicated"))
                    .isEqualTo("451 4.3.0 Error: message not stored, try again later");
            assertThat(server.rows()).isEmpty();
        }
    }

    @Test
    void waitReplicasWithAReplicaStores(@TempDir Path dir) throws Exception {
        Path primaryDir = Files.createDirectory(dir.resolve("primary"));
        Path replicaDir = Files.createDirectory(dir.resolve("replica"));
        try (PrivateService primary = PrivateService.redis(primaryDir);
             PrivateService replica = PrivateService.redis(replicaDir, List.of("--replicaof", "127.0.0.1", Integer.toString(primary.port)));
             TestServer server = TestServer.start(c -> {
                 c.store.saveProcess = "HeadersParser|Header|Hasher|Redis|SQL";
                 c.store.redis.port = primary.port;
                 c.store.redis.waitReplicas = 1;
             })) {
            String reply = "";
            // The replica's first sync takes a moment; until then WAIT sees no replica and the sender retries.
            for (int i = 0; i < 50 && !reply.startsWith("250"); i++) {
                reply = SmtpClient.deliver(server.port(), "s@remote.test", "r@example.com", "replicated-" + i);
            }
            assertThat(reply).startsWith("250 2.0.0");
            assertThat(server.rows()).hasSize(1);
            RedisClient client = RedisClient.create("redis://127.0.0.1:" + replica.port);
            try (StatefulRedisConnection<String, String> conn = client.connect()) {
                assertThat(conn.sync().exists(String.valueOf(server.rows().get(0).get("hash")))).as("body on the replica").isEqualTo(1);
            } finally {
                client.shutdown();
            }
        }
    }
}
