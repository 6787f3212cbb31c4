package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.ServerProcess;
import io.guerrilla.smtpd.support.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** SIGTERM with kill(1): stop accepting, finish the message in hand, 421 4.3.2 to the rest, exit 0. */
class ShutdownIT {

    @Test
    void messageInFlightIsStoredAndAnsweredWhileNewConnectionsAreRefused(@TempDir Path dir) throws Exception {
        int port = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Path pid = dir.resolve("guerrillad.pid");
        Files.writeString(cfg, "listen_interface: 127.0.0.1:" + port + "\nallowed_hosts: [stop.test]\n"
                + "store:\n  path: data/mail.db\nshutdown_timeout: 20\n");
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString(),
                "--pid-file", pid.toString());
             SmtpClient inData = new SmtpClient(port);
             SmtpClient idle = new SmtpClient(port)) {
            // Written once serving, which is just after the port the start waits for opens.
            server.awaitLog("serving, pid");
            assertThat(Files.readString(pid).trim()).isEqualTo(Long.toString(server.pid()));
            inData.reply();
            inData.command("EHLO busy.test");
            inData.command("MAIL FROM:<a@busy.test>");
            inData.command("RCPT TO:<x@stop.test>");
            assertThat(inData.command("DATA")).startsWith("354");
            inData.send("Subject: sent across a stop\r\n\r\nfirst half\r\n");
            idle.reply();
            idle.command("EHLO idle.test");

            server.signal("TERM");
            server.awaitLog("stopping: draining");
            assertThat(Ports.refused(port)).as("no new connections after SIGTERM").isTrue();
            // A session between commands is told at once.
            assertThat(idle.reply()).startsWith("421 4.3.2");
            assertThat(idle.closedByServer()).isTrue();

            inData.send("second half\r\n.\r\n");
            assertThat(inData.reply()).startsWith("250 2.0.0 Ok: queued as");
            assertThat(inData.reply()).startsWith("421 4.3.2");

            assertThat(server.waitForExit(Duration.ofSeconds(30))).isZero();
            assertThat(pid).doesNotExist();
            assertThat(ReloadIT.recipients(dir.resolve("data/mail.db"))).containsExactly("x@stop.test");
        }
    }

    @Test
    void sessionMidTransactionIsToldAtOnce(@TempDir Path dir) throws Exception {
        int port = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, "listen_interface: 127.0.0.1:" + port + "\nallowed_hosts: [stop.test]\n"
                + "store:\n  path: data/mail.db\n");
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", cfg.toString());
             SmtpClient c = new SmtpClient(port)) {
            c.reply();
            c.command("EHLO a.test");
            c.command("MAIL FROM:<a@a.test>");
            server.signal("INT");
            assertThat(c.reply()).startsWith("421 4.3.2");
            assertThat(server.waitForExit(Duration.ofSeconds(30))).isZero();
        }
    }
}
