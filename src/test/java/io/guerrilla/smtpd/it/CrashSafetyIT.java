package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.support.ConfigFiles;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.LoadClients;
import io.guerrilla.smtpd.support.NeedsServices;
import io.guerrilla.smtpd.support.PrivateService;
import io.guerrilla.smtpd.support.ServerProcess;
import io.guerrilla.smtpd.support.SmtpClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "250 means stored", under kill -9: the packaged server takes mail from many concurrent clients, is
 * killed with SIGKILL at a random moment, and restarted; every message that got a 250 must be in the
 * store (and, with Redis bodies, its body in Redis), the received_emails counter must agree with the
 * rows (row and count commit together), and the restarted server must take mail again.
 */
class CrashSafetyIT {
    private static final int CLIENTS = 24;
    private static final int MAX_PER_CLIENT = 2_000;

    @NeedsServices
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "mysql", "postgres", "postgres+redis"})
    void everyAcknowledgedMessageSurvivesSigkill(String variant, @TempDir Path dir) throws Exception {
        String type = variant.replace("+redis", "");
        boolean redis = variant.endsWith("+redis");
        StoreConfig store = Databases.config(type);
        if (redis) {
            Databases.require("Redis", 6379);
            store.saveProcess = "HeadersParser|Header|Hasher|Compressor|Redis|SQL";
        }
        store.path = dir.resolve("data/guerrilla.db").toString();
        Databases.requireWithSchema(store);
        if (!"sqlite".equals(type)) {
            Databases.truncate(store);
        }
        int port = PrivateService.freePort();
        Path config = dir.resolve("guerrilla.yaml");
        Files.writeString(config, ConfigFiles.yaml(port, store));

        Set<String> acknowledged;
        int attempts;
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", config.toString())) {
            LoadClients load = new LoadClients("crash", port, CLIENTS, MAX_PER_CLIENT, false);
            Thread.sleep(ThreadLocalRandom.current().nextLong(1_500, 4_000));
            server.signal("KILL");
            server.waitForExit(Duration.ofSeconds(30));
            load.close();
            acknowledged = Set.copyOf(load.acknowledged);
            attempts = load.attempts.get();
        }
        assertThat(acknowledged).as("the load got some 250s before the kill").isNotEmpty();
        assertThat(attempts).as("the kill came while messages were in flight").isLessThan(CLIENTS * MAX_PER_CLIENT);

        try (ServerProcess restarted = ServerProcess.start(dir, port, "serve", "-c", config.toString())) {
            Set<String> stored = new HashSet<>();
            Map<String, String> hashes = new HashMap<>();
            long counter;
            try (Connection c = Databases.connect(store); Statement st = c.createStatement()) {
                try (ResultSet rs = st.executeQuery("SELECT subject, hash FROM new_mail")) {
                    while (rs.next()) {
                        stored.add(rs.getString(1));
                        hashes.put(rs.getString(1), rs.getString(2));
                    }
                }
                try (ResultSet rs = st.executeQuery("SELECT setting_value FROM gm2_setting WHERE setting_name = 'received_emails'")) {
                    rs.next();
                    counter = rs.getLong(1);
                }
            }
            assertThat(stored).as("every 250 is in the store after kill -9 (%d acknowledged)", acknowledged.size())
                    .containsAll(acknowledged);
            assertThat(counter).as("received_emails counts exactly the stored messages").isEqualTo(stored.size());
            if (redis) {
                RedisClient client = RedisClient.create("redis://127.0.0.1:6379");
                try (StatefulRedisConnection<String, String> r = client.connect()) {
                    for (String subject : acknowledged) {
                        assertThat(r.sync().exists(hashes.get(subject))).as("body of %s in Redis", subject).isEqualTo(1L);
                    }
                } finally {
                    client.shutdown();
                }
            }

            try (SmtpClient c = new SmtpClient(port)) {
                c.reply();
                c.command("EHLO after.crash.test");
                c.command("MAIL FROM:<a@after.test>");
                c.command("RCPT TO:<x@example.com>");
                c.command("DATA");
                c.send("Subject: after restart\r\n\r\nhi\r\n.\r\n");
                assertThat(c.reply()).startsWith("250 2.0.0");
            }
            System.out.printf("crash %s: %d acknowledged of %d attempted before SIGKILL, %d stored%n",
                    variant, acknowledged.size(), attempts, stored.size());
            assertThat(restarted.logText()).doesNotContain("ERROR");
        }
    }
}
