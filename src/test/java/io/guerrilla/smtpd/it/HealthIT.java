package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.ServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code guerrillad health}, the container HEALTHCHECK: 0 while the admin listener answers, 1 once it does not. */
class HealthIT {

    @Test
    void answersWhileServingAndFailsOnceStopped(@TempDir Path dir) throws Exception {
        int smtp = Ports.free();
        int admin = Ports.free();
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, "listen_interface: 127.0.0.1:" + smtp + "\nadmin:\n  listen: 0.0.0.0:" + admin + "\n");
        try (ServerProcess server = ServerProcess.start(dir, smtp, "serve", "-c", cfg.toString())) {
            server.awaitLog("serving, pid");
            Commands.Result up = health("-c", cfg.toString());
            assertThat(up.exitCode()).as(up.output()).isZero();
            assertThat(up.output()).contains("http://127.0.0.1:" + admin + "/healthz: ok");
            Commands.Result ready = health("--ready", "-c", cfg.toString());
            assertThat(ready.exitCode()).as(ready.output()).isZero();
            server.signal("TERM");
            assertThat(server.waitForExit(Duration.ofSeconds(60))).isZero();
        }
        Commands.Result down = health("-c", cfg.toString());
        assertThat(down.exitCode()).as(down.output()).isEqualTo(1);
        assertThat(down.output()).contains("guerrillad: http://127.0.0.1:" + admin + "/healthz");

        Path noAdmin = dir.resolve("n.yaml");
        Files.writeString(noAdmin, "listen_interface: 127.0.0.1:" + smtp + "\n");
        Commands.Result none = health("-c", noAdmin.toString());
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.output()).contains("admin.listen is not set");
    }

    private static Commands.Result health(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(ServerProcess.launcher().toString(), "health"));
        cmd.addAll(List.of(args));
        return Commands.exec(cmd);
    }
}
