package io.guerrilla.smtpd.app;

import io.guerrilla.smtpd.config.ConfigLoader;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.metrics.PrometheusMetrics;
import io.guerrilla.smtpd.support.Rows;
import io.guerrilla.smtpd.support.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** serve purges on its own: mail delivered over SMTP beyond the per-mailbox cap goes, and /metrics counts it. */
class RetentionServeTest {

    @Test
    void servePurgesBeyondTheMailboxCapAndCountsItInMetrics(@TempDir Path dir) throws Exception {
        GuerrillaConfig c = new GuerrillaConfig();
        c.listenInterface = "127.0.0.1:0";
        c.allowedHosts = List.of("example.com");
        c.store.path = dir.resolve("g.db").toString();
        c.logLevel = "warn";
        c.retention.maxPerMailbox = 2;
        c.retention.interval = "1s";
        ConfigLoader.check(c, "test");
        PrometheusMetrics metrics = new PrometheusMetrics();
        try (Daemon daemon = new Daemon(c, metrics)) {
            int port = daemon.start().getPort();
            for (int i = 0; i < 5; i++) {
                assertThat(SmtpClient.deliver(port, "s@y.test", "box@example.com", "m" + i)).startsWith("250");
            }
            assertThat(SmtpClient.deliver(port, "s@y.test", "other@example.com", "kept")).startsWith("250");

            long deadline = System.nanoTime() + 20_000_000_000L;
            while (Rows.ids(c.store).size() > 3 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }

            // A fresh file numbers from 1: box@ got 1 to 5, other@ 6; the two newest of box@ and other@'s one remain,
            // whether a pass ran between the deliveries or after them.
            assertThat(Rows.ids(c.store)).containsExactly(4L, 5L, 6L);
            assertThat(metrics.scrape()).contains("guerrilla_retention_purged_total{reason=\"mailbox_cap\"} 3.0");
        }
    }
}
