package io.guerrilla.smtpd.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** check-config never echoes a password from the config it reports on. */
class CheckConfigRedactionTest {

    @Test
    void aPasswordInTheDsnIsNotPrinted(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, """
                store:
                  type: mysql
                  dsn: "jdbc:mariadb://db.internal/mail?user=g&password=s3cret"
                  pool_size: "jdbc:mariadb://g:s3cret@db.internal/mail"
                """);
        CliTest.Result r = CliTest.run("check-config", "-c", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("pool_size").doesNotContain("s3cret");
    }
}
