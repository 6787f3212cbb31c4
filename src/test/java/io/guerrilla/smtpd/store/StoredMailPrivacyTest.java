package io.guerrilla.smtpd.store;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.config.StoreType;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Stored mail is readable only by the service: SQLite files 0640 in 0750 directories; no password in any message. */
class StoredMailPrivacyTest {

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void sqliteDirectoriesAndFilesAreNotWorldReadable(@TempDir Path dir) throws Exception {
        Path db = dir.resolve("data/mail/guerrilla.db");
        try (TestServer server = TestServer.start(c -> c.store.path = db.toString())) {
            assertThat(SmtpClient.deliver(server.port(), "a@remote.test", "b@example.com", "private")).startsWith("250");
            assertThat(mode(dir.resolve("data"))).isEqualTo("rwxr-x---");
            assertThat(mode(dir.resolve("data/mail"))).isEqualTo("rwxr-x---");
            assertThat(mode(db)).isEqualTo("rw-r-----");
            assertThat(mode(dir.resolve("data/mail/guerrilla.db-wal"))).as("SQLite copies the database's mode").isEqualTo("rw-r-----");
        }
    }

    @Test
    void aDatabaseOthersCanReadIsWarnedAboutAtStart(@TempDir Path dir) throws Exception {
        StoreConfig c = new StoreConfig();
        c.path = dir.resolve("guerrilla.db").toString();
        try (SqlStore s = new SqlStore(c)) {
            s.open();
        }
        Files.setPosixFilePermissions(Path.of(c.path), PosixFilePermissions.fromString("rw-r--r--"));
        Logger logger = (Logger) LoggerFactory.getLogger(SqlStore.class);
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.start();
        logger.addAppender(seen);
        try (SqlStore s = new SqlStore(c)) {
            s.open();
        } finally {
            logger.detachAppender(seen);
        }
        assertThat(seen.list).extracting(ILoggingEvent::getFormattedMessage)
                .anySatisfy(m -> assertThat(m).contains("is readable by every local user (mode rw-r--r--)"));
    }

    @Test
    void passwordsInUrlsAreRedacted() {
        assertThat(SqlDialect.redact("jdbc:mariadb://db:3306/mail?user=g&password=s3cret&ssl=true"))
                .isEqualTo("jdbc:mariadb://db:3306/mail?user=g&password=***&ssl=true");
        assertThat(SqlDialect.redact("jdbc:postgresql://g:s3cret@db/mail")).isEqualTo("jdbc:postgresql://g:***@db/mail");
        assertThat(SqlDialect.redact("jdbc:sqlserver://db;user=g;Password=s3cret;x=1")).doesNotContain("s3cret");
    }

    @Test
    void mailReaderErrorsDoNotPrintThePassword() {
        StoreConfig c = new StoreConfig();
        c.type = StoreType.MYSQL;
        c.dsn = "jdbc:mariadb://127.0.0.1:1/mail?user=g&password=s3cret&connectTimeout=500";
        assertThatThrownBy(() -> MailReader.open(c).close()).isInstanceOf(StoreException.class)
                .hasMessageContaining("password=***").hasMessageNotContaining("s3cret");
    }
}
