package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.config.ConfigException;
import io.guerrilla.smtpd.config.ConfigLoader;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The config file and the flags that override it, shared by every command that reads a config. */
final class ConfigOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Config file: YAML, or a go-guerrilla JSON config (*.json, or content starting with {). Default: built-in defaults.")
    Path configFile;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Overrides listen_interface.")
    String listen;

    @Option(names = "--allowed-hosts", paramLabel = "LIST", description = "Overrides allowed_hosts (of every listener), comma-separated, * wildcards.")
    String allowedHosts;

    @Option(names = "--db", paramLabel = "PATH", description = "Overrides store.path (the SQLite file).")
    String db;

    /** {@link #load()}, or null after telling the user what is wrong with it (the command then exits {@link Main#EXIT_USAGE}). */
    GuerrillaConfig loadOrExplain(CommandLine.Model.CommandSpec spec) {
        try {
            return load();
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("guerrillad: bad config: " + e.getMessage());
            return null;
        }
    }

    /** The config with the flags applied, checked as a whole, so a bad flag is named like a bad key. */
    GuerrillaConfig load() throws ConfigException {
        GuerrillaConfig c = configFile == null ? new GuerrillaConfig() : ConfigLoader.load(configFile);
        if (listen != null) {
            if (!c.servers.isEmpty()) {
                throw new ConfigException("--listen: the config defines servers:, set each listen_interface there");
            }
            c.listenInterface = listen;
        }
        if (allowedHosts != null) {
            List<String> hosts = Arrays.stream(allowedHosts.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
            c.allowedHosts = hosts;
            c.servers.forEach(l -> l.allowedHosts = hosts);
        }
        if (db != null) {
            c.store.path = db;
        }
        ConfigLoader.check(c, configFile == null ? "flags" : configFile + " + flags");
        return c;
    }
}
