package io.guerrilla.smtpd.app;

import io.guerrilla.smtpd.config.ConfigLoader;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Requirements;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A reload re-reads the certificate and key from disk: renewed certificates need no restart. */
class TlsReloadTest {
    @Test
    void renewedCertificateServesNewConnectionsAfterReload(@TempDir Path dir) throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        makeCertificate("old.test", cert, key);
        String yaml = "listen_interface: 127.0.0.1:0\nallowed_hosts: [example.com]\n"
                + "tls: {cert_file: " + cert + ", key_file: " + key + ", start_tls: true}\n"
                + "store: {path: " + dir.resolve("m.db") + "}\n";
        GuerrillaConfig config = ConfigLoader.parse(yaml, "test");
        try (Daemon daemon = new Daemon(config)) {
            int port = daemon.start().getPort();
            assertThat(servedName(port)).contains("CN=old.test");
            try (SmtpClient before = startTls(port)) {
                makeCertificate("new.test", cert, key);
                daemon.reload(ConfigLoader.parse(yaml, "test"));
                assertThat(servedName(port)).contains("CN=new.test");
                before.command("EHLO c.test");
                assertThat(before.command("MAIL FROM:<a@c.test>")).as("a session in TLS before the reload goes on")
                        .startsWith("250");
            }
        }
    }

    private static void makeCertificate(String name, Path cert, Path key) throws Exception {
        Commands.run(List.of(Requirements.tool("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(), "-out", cert.toString(),
                "-days", "2", "-subj", "/CN=" + name));
    }

    private static String servedName(int port) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.reply();
            c.command("EHLO c.test");
            assertThat(c.command("STARTTLS")).startsWith("220 2.0.0");
            X509Certificate served = (X509Certificate) c.startTls(TestCertificates.trustAnything()).getPeerCertificates()[0];
            return served.getSubjectX500Principal().getName();
        }
    }

    private static SmtpClient startTls(int port) throws Exception {
        SmtpClient c = new SmtpClient(port);
        c.reply();
        c.command("EHLO c.test");
        assertThat(c.command("STARTTLS")).startsWith("220 2.0.0");
        c.startTls(TestCertificates.trustAnything());
        return c;
    }
}
