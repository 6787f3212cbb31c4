package io.guerrilla.smtpd.app;

import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Daemon#drain} over real sockets: what each kind of session is told, and when. */
class DaemonDrainTest {

    @Test
    void drainFinishesTheMessageInHandAndTellsEveryoneElse421() throws Exception {
        try (TestServer server = TestServer.start();
             SmtpClient inData = new SmtpClient(server.port());
             SmtpClient inTransaction = new SmtpClient(server.port());
             SmtpClient idle = new SmtpClient(server.port())) {
            inData.reply();
            inData.command("EHLO a.test");
            inData.command("MAIL FROM:<a@a.test>");
            inData.command("RCPT TO:<x@example.com>");
            assertThat(inData.command("DATA")).startsWith("354");
            inData.send("Subject: across the drain\r\n\r\nfirst part\r\n");
            inTransaction.reply();
            inTransaction.command("EHLO b.test");
            assertThat(inTransaction.command("MAIL FROM:<b@b.test>")).startsWith("250");
            idle.reply();

            CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(
                    () -> server.daemon().drain(Duration.ofSeconds(20)));

            assertThat(idle.reply()).startsWith("421 4.3.2");
            assertThat(inTransaction.reply()).startsWith("421 4.3.2");
            assertThat(Ports.refused(server.port())).isTrue();
            assertThat(drained).isNotDone();

            inData.send("last part\r\n.\r\nQUIT\r\n");
            assertThat(inData.reply()).startsWith("250 2.0.0 Ok: queued as");
            assertThat(inData.reply()).startsWith("421 4.3.2");
            assertThat(drained.get()).isTrue();
            assertThat(server.rows()).hasSize(1);
            assertThat(server.daemon().isDraining()).isTrue();
        }
    }

    @Test
    void drainGivesUpAfterItsTimeout() throws Exception {
        try (TestServer server = TestServer.start();
             SmtpClient slow = new SmtpClient(server.port())) {
            slow.reply();
            slow.command("EHLO a.test");
            slow.command("MAIL FROM:<a@a.test>");
            slow.command("RCPT TO:<x@example.com>");
            slow.command("DATA");
            slow.send("never finished\r\n");
            assertThat(server.daemon().drain(Duration.ofMillis(300))).isFalse();
            assertThat(server.daemon().openSessions()).isEqualTo(1);
        }
    }
}
