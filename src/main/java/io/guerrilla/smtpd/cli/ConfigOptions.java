package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.config.ConfigException;
import io.guerrilla.smtpd.config.ConfigLoader;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.store.SqlDialect;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The config file and {@code --db}, shared by every command that reads a config. Flags that only
 * matter to a listener live in {@link ListenerOptions}, so commands without one do not offer them.
 */
final class ConfigOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Config file: YAML, or a go-guerrilla JSON config (*.json, or content starting with {). Default: built-in defaults.")
    Path configFile;

    @Option(names = "--db", paramLabel = "PATH", description = "Overrides store.path (the SQLite file).")
    String db;

    /** Flags applied to the loaded config before it is checked. */
    interface Overrides {
        void apply(GuerrillaConfig config) throws ConfigException;
    }

    /** {@link #load()}, or null after telling the user what is wrong with it (the command then exits {@link Main#EXIT_USAGE}). */
    GuerrillaConfig loadOrExplain(CommandLine.Model.CommandSpec spec) {
        try {
            return load();
        } catch (ConfigException e) {
            badConfig(spec, e);
            return null;
        }
    }

    GuerrillaConfig load() throws ConfigException {
        return load(c -> { });
    }

    /** The config with the flags applied, checked as a whole, so a bad flag is named like a bad key. */
    GuerrillaConfig load(Overrides more) throws ConfigException {
        GuerrillaConfig c = configFile == null ? new GuerrillaConfig() : ConfigLoader.load(configFile);
        try {
            more.apply(c);
            if (db != null) {
                c.store.path = db;
            }
            ConfigLoader.check(c, configFile == null ? "flags" : configFile + " + flags");
        } catch (ConfigException e) {
            throw new ConfigException(e.getMessage(), c.warnings);
        }
        return c;
    }

    /** A config that cannot be used: its warnings first (they often explain the error), then the errors. */
    static int badConfig(CommandLine.Model.CommandSpec spec, ConfigException e) {
        // A config's values (a go-guerrilla sql_dsn, a store.dsn) may carry a password: never echoed.
        e.warnings().forEach(w -> spec.commandLine().getErr().println("guerrillad: warning: " + SqlDialect.redact(w)));
        spec.commandLine().getErr().println("guerrillad: bad config: " + SqlDialect.redact(e.getMessage()));
        return Main.EXIT_USAGE;
    }
}
