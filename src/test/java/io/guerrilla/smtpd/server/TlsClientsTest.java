package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Requirements;
import io.guerrilla.smtpd.support.TestCertificates;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Real TLS clients (swaks, Python's smtplib, openssl s_client) against STARTTLS and implicit-TLS listeners. */
class TlsClientsTest {
    private static TestServer startTls;
    private static TestServer implicit;

    @BeforeAll
    static void start() throws Exception {
        startTls = TestServer.start(c -> {
            TestCertificates.install(c.tls);
            c.tls.startTls = true;
        });
        implicit = TestServer.start(c -> {
            TestCertificates.install(c.tls);
            c.tls.implicit = true;
        });
    }

    @AfterAll
    static void stop() {
        startTls.close();
        implicit.close();
    }

    private static Map<String, Object> onlyRowWithSubject(TestServer server, String subject) throws Exception {
        Map<String, Object> row = server.onlyRowWithSubject(subject);
        assertThat(row.get("is_tls")).isEqualTo(1);
        return row;
    }

    @Test
    void swaksStartTls() throws Exception {
        String swaks = Requirements.tool("swaks");
        String out = Commands.run(List.of(swaks, "--server", "127.0.0.1:" + startTls.port(), "--tls",
                "--from", "sw@client.test", "--to", "tls@example.com", "--header", "Subject: swaks starttls"));
        assertThat(out).contains("-> STARTTLS", "<-  220 2.0.0 Ready to start TLS", "=== TLS started",
                "<~  250 2.0.0 Ok: queued as");
        Map<String, Object> row = onlyRowWithSubject(startTls, "swaks starttls");
        assertThat(new String((byte[]) row.get("mail"), StandardCharsets.UTF_8)).contains(" with ESMTPS id ");
    }

    @Test
    void swaksTlsOnConnect() throws Exception {
        String swaks = Requirements.tool("swaks");
        String out = Commands.run(List.of(swaks, "--server", "127.0.0.1:" + implicit.port(), "--tls-on-connect",
                "--from", "sw@client.test", "--to", "smtps@example.com", "--header", "Subject: swaks smtps"));
        assertThat(out).contains("=== TLS started", "<~  220 mx.test.local ESMTP", "<~  250 2.0.0 Ok: queued as");
        onlyRowWithSubject(implicit, "swaks smtps");
    }

    @Test
    void pythonSmtplibStartTlsAndSmtpSsl(@TempDir Path dir) throws Exception {
        String python = Requirements.tool("python3");
        Path script = dir.resolve("tls.py");
        Files.writeString(script, """
                import smtplib, ssl, sys
                ctx = ssl.create_default_context(cafile=sys.argv[1])
                ctx.check_hostname = False
                msg = 'From: py@client.test\\r\\nSubject: %s\\r\\n\\r\\nhello\\r\\n'
                with smtplib.SMTP('127.0.0.1', int(sys.argv[2]), local_hostname='py.client.test') as s:
                    s.ehlo()
                    assert s.has_extn('starttls')
                    code, _ = s.starttls(context=ctx)
                    assert code == 220, code
                    s.ehlo()
                    assert not s.has_extn('starttls')
                    s.sendmail('py@client.test', ['tls@example.com'], msg % 'python starttls')
                    print('starttls', s.sock.version())
                with smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[3]), local_hostname='py.client.test', context=ctx) as s:
                    s.sendmail('py@client.test', ['tls@example.com'], msg % 'python smtps')
                    print('smtps', s.sock.version())
                """);
        String out = Commands.run(List.of(python, script.toString(), TestCertificates.certFile(),
                String.valueOf(startTls.port()), String.valueOf(implicit.port())));
        assertThat(out).contains("starttls TLSv1.3", "smtps TLSv1.3");
        onlyRowWithSubject(startTls, "python starttls");
        onlyRowWithSubject(implicit, "python smtps");
    }

    @Test
    void opensslStartTlsSmtp() throws Exception {
        String openssl = Requirements.tool("openssl");
        Process p = new ProcessBuilder(openssl, "s_client", "-connect", "127.0.0.1:" + startTls.port(),
                "-starttls", "smtp", "-tls1_2", "-CAfile", TestCertificates.certFile(), "-verify_return_error",
                "-quiet").redirectErrorStream(true).start();
        p.getOutputStream().write(("EHLO openssl.client.test\r\nMAIL FROM:<o@client.test>\r\nRCPT TO:<tls@example.com>\r\n"
                + "DATA\r\nSubject: openssl starttls\r\n\r\nhi\r\n.\r\nQUIT\r\n").getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().flush();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).contains("verify return:1", "250 2.0.0 Ok: queued as", "221 2.0.0 Bye");
        onlyRowWithSubject(startTls, "openssl starttls");
    }
}
