package io.guerrilla.smtpd.support;

import io.guerrilla.smtpd.config.StoreConfig;

/** YAML configs for the packaged server, as an operator would write them. */
public final class ConfigFiles {
    private ConfigFiles() {
    }

    /** A config listening on 127.0.0.1:port for example.com, storing as {@code s} says. */
    public static String yaml(int port, StoreConfig s) {
        return """
            listen_interface: 127.0.0.1:%d
            host_name: mx.it.test
            allowed_hosts: [example.com]
            log_level: warn
            store:
              type: %s
              path: %s
              host: %s
              port: %d
              user: %s
              password: %s
              database: %s
              pool_size: %d
              save_process: "%s"
            # Tests count what they stored: retention must not delete any of it.
            retention:
              max_age: "0"
              max_per_mailbox: 0
            """.formatted(port, s.type, s.path, s.host, s.port, s.user, s.password, s.database, s.poolSize, s.saveProcess);
    }
}
