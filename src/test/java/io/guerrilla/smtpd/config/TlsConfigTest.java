package io.guerrilla.smtpd.config;

import io.guerrilla.smtpd.app.Daemon;
import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Requirements;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The tls:, proxy_protocol, trusted_proxies and xclient_trusted keys, as an operator writes them. */
class TlsConfigTest {
    private static String pem() throws Exception {
        return "cert_file: " + TestCertificates.certFile() + ", key_file: " + TestCertificates.keyFile();
    }

    @Test
    void serversInheritTheTlsSectionKeyByKey() throws Exception {
        GuerrillaConfig c = ConfigLoader.parse("""
                tls: {%s, start_tls: true}
                servers:
                  - listen_interface: 127.0.0.1:2525
                  - listen_interface: 127.0.0.1:4650
                    tls: {implicit: true, start_tls: false, protocols: [TLSv1.3]}
                """.formatted(pem()), "test");
        TlsConfig plain = c.listeners().get(0).tls;
        TlsConfig smtps = c.listeners().get(1).tls;
        assertThat(plain.startTls).isTrue();
        assertThat(plain.implicit).isFalse();
        assertThat(plain.protocols).containsExactly("TLSv1.2", "TLSv1.3");
        assertThat(smtps.certFile).isEqualTo(TestCertificates.certFile());
        assertThat(smtps.implicit).isTrue();
        assertThat(smtps.startTls).isFalse();
        assertThat(smtps.protocols).containsExactly("TLSv1.3");
        assertThat(smtps.newServerContext().isServer()).isTrue();
    }

    @Test
    void plainWithStartTlsAndImplicitTlsListenersFromOneSection(@TempDir Path dir) throws Exception {
        GuerrillaConfig c = ConfigLoader.parse("""
                host_name: mx1.example.com
                allowed_hosts: [example.com]
                tls:
                  cert_file: %s
                  key_file: %s
                  start_tls: true
                servers:
                  - listen_interface: 127.0.0.1:0
                  - listen_interface: 127.0.0.2:0
                    tls: {implicit: true, start_tls: false}
                """.formatted(TestCertificates.certFile(), TestCertificates.keyFile()), "test");
        c.store.path = dir.resolve("m.db").toString();
        try (Daemon d = new Daemon(c)) {
            d.start();
            try (SmtpClient plain = new SmtpClient(d.servers().get(0).boundAddress().getPort())) {
                assertThat(plain.reply()).startsWith("220 mx1.example.com");
                assertThat(plain.command("EHLO c.test")).containsPattern("250[- ]STARTTLS");
            }
            try (SmtpClient smtps = new SmtpClient("127.0.0.2", d.servers().get(1).boundAddress().getPort())) {
                smtps.startTls(TestCertificates.clientContext());
                assertThat(smtps.reply()).startsWith("220 mx1.example.com");
                assertThat(smtps.command("EHLO c.test")).doesNotContain("STARTTLS");
            }
        }
    }

    @Test
    void enabledTlsNeedsReadableFilesAndKnownProtocols() {
        assertThatThrownBy(() -> ConfigLoader.parse("tls: {start_tls: true, protocols: [TLSv1.1], handshake_timeout: 0}\n", "t"))
                .hasMessageContaining("t: tls.cert_file: required when start_tls or implicit is true")
                .hasMessageContaining("t: tls.key_file: required when start_tls or implicit is true")
                .hasMessageContaining("tls.protocols: unknown or unsafe protocol \"TLSv1.1\"")
                .hasMessageContaining("tls.handshake_timeout: must be greater than 0");
        assertThatThrownBy(() -> ConfigLoader.parse("""
                tls: {%s}
                servers:
                  - listen_interface: 127.0.0.1:2525
                  - listen_interface: 127.0.0.1:4650
                    tls: {implicit: true, cert_file: /nonexistent/cert.pem, ciphers: [TLS_NOT_A_SUITE]}
                """.formatted(pem()), "t"))
                .hasMessageContaining("servers[1].tls.cert_file: cannot read /nonexistent/cert.pem")
                .hasMessageContaining("servers[1].tls.ciphers: cipher suite \"TLS_NOT_A_SUITE\" is not supported")
                .message().doesNotContain("servers[0]");
        assertThatThrownBy(() -> ConfigLoader.parse("tls: {cert_fil: x}\n", "t"))
                .hasMessageContaining("tls.cert_fil: unknown key");
    }

    @Test
    void unparsableCertificateOrKeyIsNamed(@TempDir Path dir) throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> ConfigLoader.parse("tls: {start_tls: true, cert_file: %s, key_file: %s}\n"
                .formatted(junk, TestCertificates.keyFile()), "t"))
                .hasMessageStartingWith("t: tls.cert_file: not a PEM certificate");
        assertThatThrownBy(() -> ConfigLoader.parse("tls: {start_tls: true, cert_file: %s, key_file: %s}\n"
                .formatted(TestCertificates.certFile(), junk), "t"))
                .hasMessageStartingWith("t: tls.key_file: cannot load the private key");
    }

    @Test
    void aKeyOfAnotherCertificateIsNamed(@TempDir Path dir) throws Exception {
        Path other = dir.resolve("other.pem");
        Commands.run(List.of(Requirements.tool("openssl"), "genpkey", "-algorithm", "EC", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-out", other.toString()));
        assertThatThrownBy(() -> ConfigLoader.parse("tls: {start_tls: true, cert_file: %s, key_file: %s}\n"
                .formatted(TestCertificates.certFile(), other), "t"))
                .hasMessage("t: tls.key_file: is not the private key of the first certificate in cert_file");
    }

    @Test
    void tlsOffNeedsNothing() throws Exception {
        assertThat(ConfigLoader.parse("tls: {cert_file: /nonexistent}\n", "t").tls.enabled()).isFalse();
    }

    @Test
    void proxyAndXclientNetworksAreChecked() throws Exception {
        assertThatThrownBy(() -> ConfigLoader.parse("proxy_protocol: true\nproxy_protocol_timeout: 0\n", "t"))
                .hasMessageContaining("trusted_proxies: must list the proxies' networks when proxy_protocol is true")
                .hasMessageContaining("proxy_protocol_timeout: must be greater than 0");
        assertThatThrownBy(() -> ConfigLoader.parse("""
                servers:
                  - listen_interface: 127.0.0.1:2525
                    trusted_proxies: [10.0.0.0/8, 10.0.0.0/40]
                    xclient_trusted: [localhost]
                """, "t"))
                .hasMessageContaining("servers[0].trusted_proxies[1]: prefix length of \"10.0.0.0/40\" must be 0 to 32")
                .hasMessageContaining("servers[0].xclient_trusted[0]: \"localhost\" is not an IP address or CIDR network");
        GuerrillaConfig ok = ConfigLoader.parse("proxy_protocol: true\ntrusted_proxies: [10.0.0.0/8, \"fd00::/8\"]\n", "t");
        assertThat(ok.proxyProtocol).isTrue();
        assertThat(ok.proxyProtocolTimeout).isEqualTo(Limits.PROXY_PROTOCOL_TIMEOUT_SECONDS);
    }
}
