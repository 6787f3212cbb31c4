package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.store.MailStore;
import io.guerrilla.smtpd.store.SqlStore;
import io.guerrilla.smtpd.store.StoreException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

@Command(name = "init-db", mixinStandardHelpOptions = true, description = "Create the store's schema if missing.")
final class InitDbCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        GuerrillaConfig config = options.loadOrExplain(spec);
        if (config == null) {
            return Main.EXIT_USAGE;
        }
        try (MailStore store = new SqlStore(config.store)) {
            store.createSchema();
        } catch (StoreException e) {
            spec.commandLine().getErr().println("guerrillad: " + e.getMessage());
            return Main.EXIT_RUNTIME;
        }
        spec.commandLine().getOut().println("schema ready in " + config.store.type.configName() + " store");
        return 0;
    }
}
