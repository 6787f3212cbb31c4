package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.store.SqlStore;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.NeedsServices;
import io.guerrilla.smtpd.support.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code guerrillad purge} for cron users, and check-config's warning about bodies that expire before their rows. */
class PurgeCommandTest {

    /**
     * The command reads the system clock, so the rows sit a day away from the cut-off on either side:
     * no run can be close enough to it to tip a row over.
     */
    @Test
    void purgeRunsOnePassWithTheConfiguredRetention(@TempDir Path dir) throws Exception {
        StoreConfig store = Databases.privateDatabase("sqlite", "purge", dir);
        long kept;
        try (SqlStore s = new SqlStore(store)) {
            s.open();
            Instant now = Instant.now();
            Rows.save(s, store, now.minus(Duration.ofDays(3)), "a@example.com", 10);
            Rows.save(s, store, now.minus(Duration.ofDays(3)), "b@example.com", 10);
            kept = Rows.save(s, store, now, "a@example.com", 10);
        }
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, """
                store:
                  path: %s
                retention:
                  max_age: 1d
                """.formatted(store.path));

        CliTest.Result r = CliTest.run("purge", "-c", cfg.toString());

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("purged 2 messages (2 by age, 0 by mailbox cap, 0 by total cap)");
        assertThat(Rows.ids(store)).containsExactly(kept);
    }

    @Test
    void purgeWithoutADatabaseSaysSo(@TempDir Path dir) {
        CliTest.Result r = CliTest.run("purge", "--db", dir.resolve("none.db").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("no database at");
        assertThat(dir.resolve("none.db")).doesNotExist();
    }

    @Test
    @NeedsServices
    void checkConfigWarnsWhenBodiesExpireBeforeRetentionDeletesTheirRows(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, """
                store:
                  save_process: "HeadersParser|Header|Hasher|Redis|SQL"
                  redis: { host: 127.0.0.1, port: 6379, ttl: 600 }
                retention:
                  max_age: 2h
                """);
        CliTest.Result r = CliTest.run("check-config", "-c", cfg.toString());
        assertThat(r.code()).isZero();
        assertThat(r.err()).contains("warning: store.redis.ttl: bodies expire after 600s, before retention.max_age (2h)");

        Files.writeString(cfg, "store:\n  save_process: \"HeadersParser|Header|Hasher|Redis|SQL\"\n");
        assertThat(CliTest.run("check-config", "-c", cfg.toString()).err())
                .as("the defaults (1h retention, 2h TTL) agree").doesNotContain("store.redis.ttl");
    }

    @Test
    void aCatchAllConfigStillChecksOkAndSaysTheGuerrillaApiIsOff(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, "allowed_hosts: [\"*\"]\n");
        CliTest.Result r = CliTest.run("check-config", "-c", cfg.toString());
        assertThat(r.code()).isZero();
        assertThat(r.err()).contains("http.guerrilla_api.domains: none to give addresses on");
        Files.writeString(cfg, "allowed_hosts: [\"*\"]\nhttp:\n  guerrilla_api:\n    domains: [Example.com]\n"
                + "    secret: short\n");
        r = CliTest.run("check-config", "-c", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("http.guerrilla_api.secret: at least 32 characters").doesNotContain("domains:");
    }

    @Test
    void badRetentionKeysAreNamed(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, "retention:\n  max_age: soon\n  interval: 0\n  max_per_mailbox: -1\n  batch_size: 0\n");
        CliTest.Result r = CliTest.run("check-config", "-c", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("retention.max_age: must be a duration", "retention.interval: must be a positive",
                "retention.max_per_mailbox: must not be negative", "retention.batch_size");
    }
}
