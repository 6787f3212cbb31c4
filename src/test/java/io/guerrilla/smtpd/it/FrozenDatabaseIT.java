package io.guerrilla.smtpd.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.ConfigFiles;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.LoadClients;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.PrivateService;
import io.guerrilla.smtpd.support.ServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.guerrilla.smtpd.it.StorageFaultsIT.await;
import static io.guerrilla.smtpd.it.StorageFaultsIT.report;
import static io.guerrilla.smtpd.it.StorageFaultsIT.rowsAfterStop;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database freezes (SIGSTOP, as a hung host or a stalled VM) for longer than the store timeout, then
 * continues (SIGCONT). Meanwhile clients get 451; afterwards every 250 has its row, no 451 has one (but
 * for a COMMIT the freeze cut off, logged as of unknown outcome), the saves that
 * timed out are no longer counted as in flight, and a stop does not wait out shutdown_timeout.
 */
class FrozenDatabaseIT {
    private static final int STORE_TIMEOUT_SECONDS = 5;
    private static final int CLIENTS = 8;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void mariadbFrozenLongerThanTheStoreTimeoutLeaksNoSaves(@TempDir Path dir) throws Exception {
        try (PrivateService mariadb = PrivateService.mariadb(dir)) {
            StoreConfig store = Databases.privateMariadb(mariadb);
            int port = Ports.free();
            int admin = Ports.free();
            Path config = dir.resolve("guerrilla.yaml");
            // shutdown_timeout far above the store timeout: a stop that waits it out is the leak showing.
            Files.writeString(config, ConfigFiles.yaml(port, store).replace("store:\n", "store:\n  timeout: "
                    + STORE_TIMEOUT_SECONDS + "\n") + "shutdown_timeout: 120\nadmin:\n  listen: 127.0.0.1:" + admin + "\n");
            assertThat(Commands.run(List.of(ServerProcess.launcher().toString(), "init-db", "-c", config.toString())))
                    .contains("schema ready");

            try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", config.toString())) {
                await("admin listening", () -> savesInFlight(admin) == 0, 30);
                LoadClients load = new LoadClients("frozen", port, CLIENTS, 1_000_000, true);
                await("mail flows", () -> load.acknowledged.size() > 200, 60);
                mariadb.signal("STOP");
                try {
                    await("451 4.3.0 while the database is frozen", () -> load.count("451 4.3.0") >= CLIENTS, 60);
                    Thread.sleep(3_000L * STORE_TIMEOUT_SECONDS);
                } finally {
                    mariadb.signal("CONT");
                }
                int atThaw = load.acknowledged.size();
                await("250 again after SIGCONT", () -> load.acknowledged.size() >= atThaw + 200, 60);
                load.close();
                await("saves_in_flight back to 0 once the clients stopped", () -> savesInFlight(admin) == 0, 30);

                report("mariadb frozen", load, rowsAfterStop(server, store), StorageFaultsIT.outcomeUnknown(server));
                assertThat(server.logText()).as("the stop found nothing unfinished").doesNotContain("unfinished");
            }
        }
    }

    private int savesInFlight(int admin) {
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/api/stats")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return new ObjectMapper().readTree(body).get("saves_in_flight").asInt();
        } catch (Exception e) {
            return -1;
        }
    }
}
