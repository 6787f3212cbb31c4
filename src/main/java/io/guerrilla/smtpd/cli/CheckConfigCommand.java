package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.config.ConfigException;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.pipeline.Pipeline;
import io.guerrilla.smtpd.store.SqlDialect;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

@Command(name = "check-config", mixinStandardHelpOptions = true,
        description = "Validate a config file (and flags); exit 0 when usable, 2 naming each bad key otherwise.")
final class CheckConfigCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        try {
            GuerrillaConfig config = options.load();
            // A config's values (a go-guerrilla sql_dsn, a store.dsn) may carry a password: never echoed.
            config.warnings.forEach(w -> spec.commandLine().getErr().println("guerrillad: warning: " + SqlDialect.redact(w)));
            Pipeline.durabilityWarnings(config.store).forEach(w -> spec.commandLine().getErr().println("guerrillad: warning: " + w));
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("guerrillad: bad config: " + SqlDialect.redact(e.getMessage()));
            return Main.EXIT_USAGE;
        }
        spec.commandLine().getOut().println("config ok");
        return 0;
    }
}
