package io.guerrilla.smtpd.packaging;

import io.guerrilla.smtpd.config.ConfigLoader;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Requirements;
import io.guerrilla.smtpd.support.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** packaging/systemd/guerrillad.service as systemd itself reads it. */
class SystemdUnitTest {
    private static final Path UNIT = Path.of("packaging/systemd/guerrillad.service");
    /** systemd-analyze's "medium" band starts at 3.0; the issue asks for less. */
    private static final double MAX_EXPOSURE = 3.0;

    /**
     * The unit with its launcher path pointed at this checkout's bin/guerrillad: verify checks that
     * every Exec command exists, and this machine has no /opt/guerrillad. Everything else is as shipped.
     */
    private static Path installable(Path dir) throws Exception {
        Path unit = dir.resolve("guerrillad.service");
        String launcher = Path.of("bin/guerrillad").toAbsolutePath().toString();
        Files.writeString(unit, Files.readString(UNIT).replace("/opt/guerrillad/bin/guerrillad", launcher));
        return unit;
    }

    @Test
    void systemdAnalyzeVerifiesItWithoutAWord(@TempDir Path dir) throws Exception {
        String analyze = Requirements.tool("systemd-analyze");
        Commands.Result r = Commands.exec(List.of(analyze, "verify", installable(dir).toString()));
        assertThat(r.exitCode()).as(r.output()).isZero();
        // Unknown or misspelt directives are only warned about (exit 0): any output is a defect.
        assertThat(r.output()).isEmpty();
    }

    @Test
    void exposureIsBelowThree(@TempDir Path dir) throws Exception {
        String analyze = Requirements.tool("systemd-analyze");
        Commands.Result r = Commands.exec(List.of(analyze, "security", "--offline=yes", installable(dir).toString()));
        assertThat(r.exitCode()).as(r.output()).isZero();
        Matcher m = Pattern.compile("Overall exposure level for guerrillad\\.service: (\\d+\\.\\d+)").matcher(r.output());
        assertThat(m.find()).as(r.output()).isTrue();
        assertThat(Double.parseDouble(m.group(1))).isLessThan(MAX_EXPOSURE);
    }

    @Test
    void runsAsWrittenInTheDocs() throws Exception {
        String unit = Files.readString(UNIT);
        assertThat(unit).contains("RuntimeDirectory=guerrillad\n", "--pid-file /run/guerrillad/guerrillad.pid",
                "UMask=0027\n", "StateDirectory=guerrillad\n", "WorkingDirectory=/var/lib/guerrillad\n",
                "-Xmn64m", "/etc/guerrillad/guerrillad.yaml", "packaging/guerrillad.yaml");
        for (String hardening : List.of("PrivateDevices=true", "ProtectKernelTunables=true", "ProtectKernelModules=true",
                "ProtectKernelLogs=true", "ProtectClock=true", "ProtectHostname=true", "RestrictNamespaces=true",
                "LockPersonality=true", "RestrictSUIDSGID=true", "SystemCallFilter=@system-service",
                "SystemCallArchitectures=native", "NoNewPrivileges=true")) {
            assertThat(unit).contains("\n" + hardening + "\n");
        }
        // The shipped config keeps the store inside StateDirectory, where the service user may write.
        assertThat(Files.readString(Path.of("packaging/guerrillad.yaml"))).contains("path: /var/lib/guerrillad/guerrilla.db");
    }

    @Test
    void shippedConfigIsValidOnceItsCertificatesExist(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("guerrillad.yaml");
        Files.writeString(cfg, Files.readString(Path.of("packaging/guerrillad.yaml"))
                .replace("/etc/guerrillad/tls/fullchain.pem", TestCertificates.certFile())
                .replace("/etc/guerrillad/tls/privkey.pem", TestCertificates.keyFile()));
        GuerrillaConfig c = ConfigLoader.load(cfg);
        assertThat(c.warnings).isEmpty();
        assertThat(c.listenInterface).isEqualTo("[::]:25");
        assertThat(c.tls.startTls).isTrue();
        assertThat(c.admin.enabled()).isTrue();
        assertThat(c.store.path).startsWith("/var/lib/guerrillad/");
        assertThat(c.shutdownTimeout).isLessThan(60);
    }
}
