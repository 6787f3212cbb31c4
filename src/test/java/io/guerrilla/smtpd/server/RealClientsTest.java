package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Requirements;
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

/** Real SMTP clients (Python's smtplib, swaks) against the real server. */
class RealClientsTest {
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static Map<String, Object> onlyRowWithSubject(String subject) throws Exception {
        List<Map<String, Object>> rows = server.rows().stream().filter(r -> subject.equals(r.get("subject"))).toList();
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }

    @Test
    void pythonSmtplib(@TempDir Path dir) throws Exception {
        String python = Requirements.tool("python3");
        Path script = dir.resolve("send.py");
        Files.writeString(script, """
                import smtplib, sys
                from email.message import EmailMessage
                m = EmailMessage()
                m['From'] = 'Py Thon <py@client.test>'
                m['To'] = 'carol@example.com'
                m['Subject'] = 'smtplib ünïcode subject'
                m['Message-ID'] = '<py-1@client.test>'
                m.set_content('line one\\n.starts with a dot\\nline three\\n')
                with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='py.client.test') as s:
                    code, msg = s.ehlo()
                    assert code == 250, (code, msg)
                    assert s.has_extn('pipelining') and s.has_extn('size') and s.has_extn('8bitmime')
                    refused = s.send_message(m, from_addr='py@client.test', to_addrs=['carol@example.com', 'dave@nowhere.test'])
                    assert list(refused) == ['dave@nowhere.test'], refused
                    assert refused['dave@nowhere.test'][0] == 550, refused
                    print('sent')
                """);
        assertThat(Commands.run(List.of(python, script.toString(), String.valueOf(server.port())))).contains("sent");
        Map<String, Object> row = onlyRowWithSubject("smtplib ünïcode subject");
        assertThat(row.get("from")).isEqualTo("py@client.test");
        assertThat(row.get("to")).isEqualTo("carol@example.com");
        assertThat(row.get("charset")).isEqualTo("utf-8");
        assertThat(row.get("content_type")).isEqualTo("text/plain");
        assertThat(row.get("message_id")).isEqualTo("py-1@client.test");
        String mail = new String((byte[]) row.get("mail"), StandardCharsets.UTF_8);
        assertThat(mail).contains("Received: from py.client.test ([127.0.0.1])").contains("\r\n.starts with a dot\r\n");
    }

    @Test
    void swaks() throws Exception {
        String swaks = Requirements.tool("swaks");
        String out = Commands.run(List.of(swaks, "--server", "127.0.0.1:" + server.port(), "--from", "sw@client.test",
                "--to", "erin@sub.example.org", "--helo", "swaks.client.test", "--header", "Subject: via swaks",
                "--body", "hello from swaks"));
        assertThat(out).contains("<-  250 2.0.0 Ok: queued as");
        Map<String, Object> row = onlyRowWithSubject("via swaks");
        assertThat(row.get("to")).isEqualTo("erin@sub.example.org");
        assertThat(row.get("return_path")).isEqualTo("sw@client.test");
        assertThat(new String((byte[]) row.get("mail"), StandardCharsets.UTF_8)).contains("hello from swaks");
    }

    @Test
    void swaksRelayDenied() throws Exception {
        String swaks = Requirements.tool("swaks");
        Process p = new ProcessBuilder(swaks, "--server", "127.0.0.1:" + server.port(), "--from", "sw@client.test",
                "--to", "someone@not-ours.test").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        assertThat(out).contains("<** 550 5.7.1 Error: relay access denied");
        assertThat(p.exitValue()).isNotZero();
    }
}
