package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.ConfigFiles;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.LoadClients;
import io.guerrilla.smtpd.support.NeedsServices;
import io.guerrilla.smtpd.support.PrivateService;
import io.guerrilla.smtpd.support.ServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database goes away mid-load and comes back: meanwhile clients get 451 4.3.0 (never a 250
 * without a row), and afterwards the server stores again by itself. Runs a private mariadbd on its own
 * port and data directory, so stopping it disturbs no other test.
 */
@NeedsServices
class DatabaseOutageIT {

    @Test
    void mariadbStoppedMidLoadGives451ThenRecovers(@TempDir Path dir) throws Exception {
        try (PrivateService mariadb = PrivateService.mariadb(dir)) {
            StoreConfig store = Databases.privateMariadb(mariadb);
            int port = PrivateService.freePort();
            Path config = dir.resolve("guerrilla.yaml");
            Files.writeString(config, ConfigFiles.yaml(port, store));
            assertThat(Commands.run(List.of(ServerProcess.launcher().toString(), "init-db", "-c", config.toString())))
                    .contains("schema ready");

            try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", config.toString());
                 LoadClients load = new LoadClients("outage", port, 8, 20_000, true)) {
                Thread.sleep(1_500);
                int beforeOutage = load.acknowledged.size();
                mariadb.stop();
                Thread.sleep(3_000);
                int acknowledgedDuringOutage = load.acknowledged.size();
                Thread.sleep(2_000);
                assertThat(load.acknowledged.size()).as("no 250 while the database is down")
                        .isLessThanOrEqualTo(acknowledgedDuringOutage + 8);
                assertThat(load.count("451 4.3.0")).as("451 4.3.0 while the database is down").isPositive();

                mariadb.start();
                int atRestart = load.acknowledged.size();
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (load.acknowledged.size() < atRestart + 100 && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                load.close();
                assertThat(load.acknowledged.size()).as("stores again after the database returned").isGreaterThanOrEqualTo(atRestart + 100);
                assertThat(beforeOutage).isPositive();
                assertThat(load.otherReplies.keySet()).as("only 451 4.3.0 besides 250").containsOnly("451 4.3.0");

                Set<String> stored = new HashSet<>();
                try (Connection c = Databases.connect(store); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT subject FROM new_mail")) {
                    while (rs.next()) {
                        stored.add(rs.getString(1));
                    }
                }
                assertThat(stored).as("every 250 has its row").containsAll(load.acknowledged);
                System.out.printf("outage: %d acknowledged, %d got 451, %d rows%n", load.acknowledged.size(),
                        load.count("451 4.3.0"), stored.size());
            }
        }
    }
}
