package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "250 means stored": when the database refuses the write the client gets 451 4.3.0 (so it retries),
 * no row and no count are left behind, and the server recovers by itself once the database is back.
 * The failure is a real one of the real SQLite file (its table taken away from under the server), not a mock.
 */
class StoreFailureTest {

    private static String send(SmtpClient c, String subject) throws Exception {
        c.command("MAIL FROM:<a@fail.test>");
        c.command("RCPT TO:<x@example.com>");
        c.command("DATA");
        c.send("Subject: " + subject + "\r\n\r\nbody\r\n.\r\n");
        return c.reply();
    }

    @Test
    void storageFailureAnswers451AndStoresNothingThenRecovers() throws Exception {
        try (TestServer server = TestServer.start(); SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO fail.test");
            assertThat(send(c, "before")).startsWith("250 2.0.0");
            assertThat(server.receivedCounter()).isEqualTo(1);

            server.execute("ALTER TABLE new_mail RENAME TO new_mail_away");
            assertThat(send(c, "during")).isEqualTo("451 4.3.0 Error: message not stored, try again later");
            server.execute("ALTER TABLE new_mail_away RENAME TO new_mail");

            assertThat(server.rows()).hasSize(1);
            assertThat(server.receivedCounter()).as("count rolled back with the row").isEqualTo(1);

            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
            assertThat(send(c, "after")).startsWith("250 2.0.0");
            assertThat(server.rows()).extracting(r -> r.get("subject")).containsExactly("before", "after");
            assertThat(server.receivedCounter()).isEqualTo(2);
            StoreStats stats = server.daemon().storeStats();
            assertThat(stats.committed()).isEqualTo(2);
            assertThat(stats.failed()).isEqualTo(1);
            assertThat(stats.batches()).isEqualTo(2);
            assertThat(stats.queued()).isZero();
        }
    }

    @Test
    void storeTimeoutAnswers451() throws Exception {
        try (TestServer server = TestServer.start(c -> c.store.timeout = 1);
             SmtpClient c = new SmtpClient(server.port());
             var blocker = server.connect()) {
            c.reply();
            c.command("EHLO slow.test");
            // An open write transaction elsewhere holds SQLite's write lock, so the server's commit waits.
            blocker.setAutoCommit(false);
            blocker.createStatement().execute("UPDATE gm2_setting SET setting_value = setting_value");
            long start = System.nanoTime();
            assertThat(send(c, "slow")).startsWith("451 4.3.0");
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(4_000);
            blocker.rollback();
        }
    }
}
