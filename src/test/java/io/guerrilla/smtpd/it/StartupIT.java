package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.ServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What the packaged server says as it starts, and when it cannot: the lines an operator checks first. */
class StartupIT {

    @Test
    void startUpNamesTheStoreAndEachListener(@TempDir Path dir) throws Exception {
        int port = Ports.free();
        int second = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, "allowed_hosts: [s.test]\nstore:\n  path: data/mail.db\nservers:\n"
                + "  - listen_interface: 127.0.0.1:" + port + "\n"
                + "  - listen_interface: 127.0.0.1:" + second + "\n    max_size: 4096\n");
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString())) {
            server.awaitLog("serving, pid");
            String log = server.logText();
            assertThat(log).contains(" - storing mail type=sqlite location=data/mail.db save_process=");
            assertThat(log).containsPattern(" - listening on 127\\.0\\.0\\.1:" + port + " transport=\\w+ host_name=\\S+ tls=off"
                    + " proxy_protocol=false max_size=\\d+");
            assertThat(log).contains(" - listening on 127.0.0.1:" + second + " ").contains("max_size=4096");
        }
    }

    @Test
    void aPortInUseIsNamedAndTheProcessExitsNonZero(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            Path cfg = dir.resolve("g.yaml");
            Path log = dir.resolve("guerrillad.log");
            Files.writeString(cfg, "listen_interface: 127.0.0.1:" + port + "\nallowed_hosts: [s.test]\n"
                    + "store:\n  path: " + dir.resolve("mail.db") + "\nlog_file: " + log + "\n");
            Commands.Result r = Commands.exec(List.of(ServerProcess.launcher().toString(), "serve", "-c", cfg.toString()));
            String expected = "cannot listen on 127.0.0.1:" + port + ": address already in use";
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.output()).as("told on stderr when the log is a file").contains("guerrillad: " + expected);
            assertThat(Files.readString(log)).contains("ERROR").contains("cannot start: " + expected);
        }
    }

    @Test
    void theReadingAndAdminListenersNameAPortInUseToo(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            String expected = "cannot listen on 127.0.0.1:" + port + ": address already in use";
            for (String listener : List.of("http:\n  listen: 127.0.0.1:" + port + "\n",
                    "http:\n  listen: \"\"\nadmin:\n  listen: 127.0.0.1:" + port + "\n")) {
                Path cfg = dir.resolve("g.yaml");
                Files.writeString(cfg, "listen_interface: 127.0.0.1:0\nallowed_hosts: [s.test]\n"
                        + "store:\n  path: " + dir.resolve("mail.db") + "\n" + listener);
                Commands.Result r = Commands.exec(List.of(ServerProcess.launcher().toString(), "serve", "-c", cfg.toString()));
                assertThat(r.exitCode()).as(listener).isNotZero();
                assertThat(r.output()).as(listener).contains("cannot start: " + expected);
            }
        }
    }
}
