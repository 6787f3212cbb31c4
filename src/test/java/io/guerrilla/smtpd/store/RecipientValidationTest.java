package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.NeedsServices;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * validate_process over real sockets against real databases: a recipient the query finds gets 250, one
 * it does not gets 550 5.1.1, and a query slower than validate_timeout_ms gets 451 4.3.0; pipelined
 * RCPTs are answered in order while each waits for its check.
 */
class RecipientValidationTest {

    private static StoreConfig withMailboxes(String type, String dbPath) throws Exception {
        StoreConfig store = Databases.config(type);
        store.path = dbPath;
        Databases.requireWithSchema(store);
        if (!"sqlite".equals(type)) {
            Databases.truncate(store);
        }
        try (Connection c = Databases.connect(store); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS mailboxes");
            st.execute("CREATE TABLE mailboxes (address varchar(255) NOT NULL)");
            st.execute("INSERT INTO mailboxes (address) VALUES ('known@example.com'), ('Other@example.com')");
        }
        store.validateProcess = "Debugger|SQL";
        store.validateSql = "SELECT 1 FROM mailboxes WHERE address = ?";
        return store;
    }

    @NeedsServices
    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "mysql", "postgres"})
    void knownRecipientsAcceptedUnknownRejected(String type) throws Exception {
        try (TestServer server = TestServer.start(c -> { });
             TestServer checked = TestServer.start(c -> {
                 try {
                     c.store = withMailboxes(type, server.dir.resolve("checked.db").toString());
                 } catch (Exception e) {
                     throw new IllegalStateException(e);
                 }
             });
             SmtpClient c = new SmtpClient(checked.port())) {
            c.reply();
            c.command("EHLO check.test");
            c.command("MAIL FROM:<a@check.test>");
            assertThat(c.command("RCPT TO:<known@EXAMPLE.com>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("RCPT TO:<unknown@example.com>")).isEqualTo("550 5.1.1 Error: no such recipient here");
            c.send("RCPT TO:<Other@example.com>\r\nRCPT TO:<nobody@example.com>\r\nRCPT TO:<x@not-allowed.test>\r\nNOOP\r\n");
            assertThat(c.reply()).isEqualTo("250 2.1.5 Ok");
            assertThat(c.reply()).startsWith("550 5.1.1");
            assertThat(c.reply()).startsWith("550 5.7.1");
            assertThat(c.reply()).isEqualTo("250 2.0.0 Ok");
            assertThat(c.command("DATA")).startsWith("354");
            c.send("Subject: checked\r\n\r\nhi\r\n.\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0");
            assertThat(checked.rows()).extracting(r -> r.get("to")).containsExactly("known@example.com", "Other@example.com");
        }
    }

    @NeedsServices
    @ParameterizedTest
    @ValueSource(strings = {"mysql", "postgres"})
    void slowCheckAnswers451(String type) throws Exception {
        StoreConfig store = withMailboxes(type, "");
        store.validateSql = "mysql".equals(type) ? "SELECT SLEEP(2) FROM mailboxes WHERE address = ?"
                : "SELECT 1 FROM pg_sleep(2), mailboxes WHERE address = ?";
        store.validateTimeoutMs = 300;
        try (TestServer server = TestServer.start(c -> c.store = store); SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO slow.test");
            c.command("MAIL FROM:<a@slow.test>");
            long start = System.nanoTime();
            assertThat(c.command("RCPT TO:<known@example.com>")).isEqualTo(
                    "451 4.3.0 Error: cannot check the recipient now, try again later");
            assertThat((System.nanoTime() - start) / 1_000_000).as("answered at the timeout, not after the query").isLessThan(1_500);
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
    }
}
