package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.config.Limits;
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
import java.util.List;

import static io.guerrilla.smtpd.it.StorageFaultsIT.await;
import static io.guerrilla.smtpd.it.StorageFaultsIT.report;
import static io.guerrilla.smtpd.it.StorageFaultsIT.rowsAfterStop;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database goes away mid-load and comes back: meanwhile clients get 451 4.3.0 (never a 250
 * without a row, never a 451 with one), and afterwards the server stores again by itself. Runs a
 * private mariadbd on its own port and data directory, so stopping it disturbs no other test.
 */
@NeedsServices
class DatabaseOutageIT {
    private static final int CLIENTS = 8;

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
                 LoadClients load = new LoadClients("outage", port, CLIENTS, 20_000, true)) {
                await("mail flows", () -> load.acknowledged.size() >= 100, 60);
                long stopping = System.nanoTime();
                mariadb.stop();
                long stopped = System.nanoTime();
                // Each client has at most one message in flight when the database goes: those may still get 250.
                int acknowledgedAtStop = load.acknowledged.size();
                // No fixed pause: a mariadbd that shuts down slowly holds its sessions open without answering,
                // like a frozen one, and then the answers come within the store timeout (socketTimeout) of the
                // statement they wait for: 451 for every message, but up to twice store.timeout after the stop.
                await("451 4.3.0 while the database is down", () -> load.count("451 4.3.0") >= 10 * CLIENTS,
                        3 * Limits.STORE_TIMEOUT_SECONDS);
                long first451 = System.nanoTime();
                assertThat(load.acknowledged.size()).as("no 250 while the database is down")
                        .isLessThanOrEqualTo(acknowledgedAtStop + CLIENTS);

                mariadb.start();
                int atRestart = load.acknowledged.size();
                await("stores again after the database returned", () -> load.acknowledged.size() >= atRestart + 100, 60);
                load.close();
                assertThat(load.otherReplies.keySet()).as("only 451 4.3.0 besides 250").containsOnly("451 4.3.0");

                report("mariadb stopped", load, rowsAfterStop(server, store), StorageFaultsIT.outcomeUnknown(server));
                System.out.printf("outage: mariadb's stop took %d ms, %d x 451 within %d ms of it%n",
                        (stopped - stopping) / 1_000_000, 10 * CLIENTS, (first451 - stopped) / 1_000_000);
            }
        }
    }
}
