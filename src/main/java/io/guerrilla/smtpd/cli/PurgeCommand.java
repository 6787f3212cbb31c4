package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.store.Purger;
import io.guerrilla.smtpd.store.SqlDialect;
import io.guerrilla.smtpd.store.SqlStore;
import io.guerrilla.smtpd.store.StoreException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;

@Command(name = "purge", mixinStandardHelpOptions = true, description = {
        "Run one retention pass (the retention: section) and exit, for operators who prefer cron to serve's own passes.",
        "Safe beside a running server: it deletes in short batches, as serve does."})
final class PurgeCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--vacuum", description = "SQLite: first turn on incremental auto-vacuum and rebuild the file (VACUUM),"
            + " so purged space is returned to the file system from then on. Holds the write lock for the whole"
            + " rebuild and needs free disk the size of the file: run it in a quiet moment.")
    boolean vacuum;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        GuerrillaConfig config = options.loadOrExplain(spec);
        if (config == null) {
            return Main.EXIT_USAGE;
        }
        if (SqlDialect.of(config.store) == SqlDialect.SQLITE && !Files.exists(Path.of(config.store.path))) {
            spec.commandLine().getErr().println("guerrillad: no database at " + Path.of(config.store.path).toAbsolutePath());
            return Main.EXIT_RUNTIME;
        }
        if (!config.retention.enabled()) {
            spec.commandLine().getErr().println("guerrillad: retention is off in this config (max_age 0, no caps): nothing to purge");
        }
        try (SqlStore store = new SqlStore(config.store)) {
            Purger purger = store.purger(config.retention, Clock.systemUTC(), (reason, rows) -> { });
            if (vacuum) {
                purger.enableIncrementalVacuum();
            }
            Purger.Result r = purger.pass();
            spec.commandLine().getOut().printf("purged %d messages (%d by age, %d by mailbox cap, %d by total cap),"
                    + " released %d SQLite pages%n", r.total(), r.byAge(), r.byMailboxCap(), r.byTotalCap(), r.pagesReleased());
        } catch (StoreException e) {
            spec.commandLine().getErr().println("guerrillad: " + e.getMessage());
            return Main.EXIT_RUNTIME;
        }
        return 0;
    }
}
