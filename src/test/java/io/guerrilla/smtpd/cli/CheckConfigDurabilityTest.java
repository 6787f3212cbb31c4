package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.support.PrivateService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** check-config says when a 250 for a body kept in Redis or Memcached would not survive a restart of it. */
class CheckConfigDurabilityTest {

    @Test
    void redisWithoutPersistenceAndMemcachedAreWarned(@TempDir Path dir) throws Exception {
        try (PrivateService redis = PrivateService.redis(Files.createDirectory(dir.resolve("redis")))) {
            Path cfg = dir.resolve("c.yaml");
            Files.writeString(cfg, "store:\n  save_process: \"HeadersParser|Header|Hasher|Redis|SQL\"\n  redis: { host: 127.0.0.1, port: "
                    + redis.port + " }\n");
            CliTest.Result r = CliTest.run("check-config", "-c", cfg.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("config ok");
            assertThat(r.err()).contains("guerrillad: warning: store.redis: Redis at 127.0.0.1:" + redis.port
                    + " has appendonly no: bodies acknowledged with 250 are LOST when Redis restarts");

            Files.writeString(cfg, "store:\n  save_process: \"HeadersParser|Header|Hasher|Memcached|SQL\"\n");
            r = CliTest.run("check-config", "-c", cfg.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.err()).contains("guerrillad: warning: store.memcached: Memcached keeps bodies in memory only");
        }
    }

    @Test
    void waitReplicasKeysAreChecked(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, """
                store:
                  redis: { wait_replicas: 1, wait_timeout_ms: 3000, timeout_ms: 2000 }
                  memcached: { wait_replicas: 1 }
                """);
        CliTest.Result r = CliTest.run("check-config", "-c", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("store.redis.wait_timeout_ms: must be less than timeout_ms",
                "store.memcached.wait_replicas: Redis only");
    }
}
