package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.ServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code guerrillad check-config} of the packaged jar: exit 2 and the key named for each broken config. */
class CheckConfigIT {

    @Test
    void brokenConfigsExitTwoNamingTheKey(@TempDir Path dir) throws Exception {
        Map<String, String> brokenToKey = new LinkedHashMap<>();
        brokenToKey.put("listen_interface: nowhere\n", "listen_interface: \"nowhere\" is not HOST:PORT");
        brokenToKey.put("max_clients: 0\n", "max_clients: must be greater than 0");
        brokenToKey.put("max_size: lots\n", "max_size");
        brokenToKey.put("allowed_hosts: []\n", "allowed_hosts: must list at least one domain");
        brokenToKey.put("alowed_hosts: [a.test]\n", "alowed_hosts: unknown key");
        brokenToKey.put("store:\n  type: oracle\n", "store.type: unknown value \"oracle\"");
        brokenToKey.put("store:\n  batch_size: -1\n", "store.batch_size: must be greater than 0");
        brokenToKey.put("store:\n  max_batch_bytes: 0\n", "store.max_batch_bytes: must be greater than 0");
        brokenToKey.put("log_level: loud\n", "log_level: must be one of");
        brokenToKey.put("log_format: xml\n", "log_format: must be text or json");
        brokenToKey.put("shutdown_timeout: 0\n", "shutdown_timeout: must be greater than 0");
        brokenToKey.put("admin:\n  listen: localhost\n", "admin.listen: \"localhost\" is not HOST:PORT");
        brokenToKey.put("admin:\n  port: 8025\n", "admin.port: unknown key");
        brokenToKey.put("servers:\n  - listen_interface: 127.0.0.1:2600\n    timeout: -5\n", "servers[0].timeout");
        brokenToKey.put("servers:\n  - listen_interface: 127.0.0.1:2600\n  - listen_interface: 127.0.0.1:2600\n",
                "servers[1].listen_interface: 127.0.0.1:2600 is used by an earlier server");
        brokenToKey.put("max_size: [1\n", "not valid YAML");
        int i = 0;
        for (Map.Entry<String, String> e : brokenToKey.entrySet()) {
            Path cfg = dir.resolve("broken" + i++ + ".yaml");
            Files.writeString(cfg, e.getKey());
            Commands.Result r = check(cfg);
            assertThat(r.exitCode()).as("exit for %s, output %s", e.getKey(), r.output()).isEqualTo(2);
            assertThat(r.output()).as("for config %s", e.getKey()).contains(e.getValue());
        }
    }

    @Test
    void goGuerrillaJsonIsAcceptedWithWarnings(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("goguerrilla.conf.json");
        Files.writeString(cfg, """
                {"allowed_hosts": ["a.test"], "log_level": "info",
                 "backend_config": {"save_process": "HeadersParser|Debugger"},
                 "servers": [{"is_enabled": true, "listen_interface": "127.0.0.1:2600", "host_name": "mx.a.test"}]}
                """);
        Commands.Result r = check(cfg);
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("config ok", "warning: " + cfg + ": backend_config.save_process: \"HeadersParser|Debugger\" has no SQL");
    }

    @Test
    void everyCommandHasHelp() throws Exception {
        for (List<String> cmd : List.of(List.of("--help"), List.of("serve", "--help"), List.of("check-config", "--help"),
                List.of("init-db", "--help"), List.of("mail", "--help"), List.of("mail", "list", "--help"),
                List.of("mail", "show", "--help"), List.of("version", "--help"))) {
            List<String> full = new java.util.ArrayList<>(List.of(ServerProcess.launcher().toString()));
            full.addAll(cmd);
            Commands.Result r = Commands.exec(full);
            assertThat(r.exitCode()).as("%s", cmd).isZero();
            assertThat(r.output()).as("%s", cmd).contains("Usage: guerrillad");
        }
        assertThat(Commands.run(List.of(ServerProcess.launcher().toString(), "serve", "--help")))
                .contains("--pid-file", "HUP reloads");
    }

    private static Commands.Result check(Path cfg) throws Exception {
        return Commands.exec(List.of(ServerProcess.launcher().toString(), "check-config", "-c", cfg.toString()));
    }
}
