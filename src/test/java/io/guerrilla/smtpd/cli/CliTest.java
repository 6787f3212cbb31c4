package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CliTest {
    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // mail show --raw writes the stored bytes to standard output itself, past the PrintWriter; only
        // then is System.out captured, as the test servers' log lines go there too.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        if (List.of(args).contains("--raw")) {
            System.setOut(new PrintStream(bytes, true));
        }
        int code;
        try {
            CommandLine cl = new CommandLine(new Main())
                    .setParameterExceptionHandler((ex, a) -> {
                        ex.getCommandLine().getErr().println("guerrillad: " + ex.getMessage());
                        return Main.EXIT_USAGE;
                    });
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            code = cl.execute(args);
        } finally {
            System.setOut(stdout);
        }
        return new Result(code, out + bytes.toString(StandardCharsets.UTF_8), err.toString());
    }

    @Test
    void unknownKeyIsNamedWithExit2(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, "listen_interface: 127.0.0.1:0\nstore:\n  pathh: x.db\n");
        Result r = run("serve", "-c", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("store.pathh: unknown key");
    }

    @Test
    void badValuesAreNamedWithExit2(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, "max_size: -1\ntimeout: 0\nbare_newline: maybe\nallowed_hosts: []\n");
        Result r = run("check-config", "-c", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("max_size: must be greater than 0", "timeout: must be greater than 0",
                "bare_newline: unknown value \"maybe\" (known: normalize, reject)", "allowed_hosts: must list at least one domain");
    }

    @Test
    void wrongTypeIsNamed(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, "max_clients: lots\n");
        Result r = run("check-config", "-c", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("max_clients");
    }

    @Test
    void badFlagIsNamedWithExit2() {
        Result r = run("serve", "--listen", "nonsense");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("listen_interface: \"nonsense\" is not HOST:PORT");
        assertThat(run("serve", "--no-such-flag").code()).isEqualTo(2);
    }

    @Test
    void unwritableLogFileStopsServeBeforeListening(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(dir.resolve("file"), "x");
        Files.writeString(cfg, "listen_interface: 127.0.0.1:0\nlog_file: " + dir.resolve("file/sub.log") + "\n");
        Result r = run("serve", "-c", cfg.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("log_file: cannot open");
    }

    @Test
    void missingConfigFile() {
        Result r = run("check-config", "-c", "/nonexistent/guerrilla.yaml");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no such file");
    }

    @Test
    void goodConfigPasses(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, """
                listen_interface: "0.0.0.0:25"
                host_name: mx.example.com
                allowed_hosts: [example.com, "*.example.org"]
                max_size: 1048576
                max_clients: 100
                timeout: 60
                store:
                  type: sqlite
                  path: /tmp/x.db
                """);
        Result r = run("check-config", "-c", cfg.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("config ok");
    }

    @Test
    void mailListAndShowReadTheStore() throws Exception {
        try (TestServer server = TestServer.start(); SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            c.command("EHLO cli.test");
            c.command("MAIL FROM:<a@cli.test>");
            c.command("RCPT TO:<frank@example.com>");
            c.command("DATA");
            c.send("From: a@cli.test\r\nSubject: listed by cli\r\n\r\nthe body\r\n.\r\n");
            assertThat(c.reply()).startsWith("250 ");
            Result list = run("mail", "list", "--db", server.config.store.path, "--to", "frank@example.com");
            assertThat(list.code()).as(list.err()).isZero();
            assertThat(list.out()).contains("frank@example.com", "listed by cli");
            Result show = run("mail", "show", "1", "--db", server.config.store.path);
            assertThat(show.code()).as(show.err()).isZero();
            assertThat(show.out()).startsWith("id: 1\n").contains("\nDelivered-To: frank@example.com\n", "the body");
            assertThat(run("mail", "show", "999", "--db", server.config.store.path).code()).isEqualTo(1);
        }
    }
}
