package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.config.ConfigException;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.List;

/** Flags that override listener keys; offered only by the commands that run or check a listener. */
final class ListenerOptions implements ConfigOptions.Overrides {
    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Overrides listen_interface.")
    String listen;

    @Option(names = "--allowed-hosts", paramLabel = "LIST", description = "Overrides allowed_hosts (of every listener), comma-separated, * wildcards.")
    String allowedHosts;

    @Override
    public void apply(GuerrillaConfig c) throws ConfigException {
        if (listen != null) {
            if (!c.servers.isEmpty()) {
                throw new ConfigException("--listen: the config defines servers:, set each listen_interface there");
            }
            c.listenInterface = listen;
        }
        if (allowedHosts != null) {
            // Empty entries are kept so that "a.test,,b.test" is reported, as the same list in the file would be.
            List<String> hosts = Arrays.stream(allowedHosts.split(",", -1)).map(String::trim).toList();
            c.allowedHosts = hosts;
            c.servers.forEach(l -> l.allowedHosts = hosts);
        }
    }
}
