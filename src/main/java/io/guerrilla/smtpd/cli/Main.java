package io.guerrilla.smtpd.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code guerrillad} command line. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or config. */
@Command(name = "guerrillad", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
        description = "Guerrilla SMTPd: receive mail for your domains and store it in a database.",
        subcommands = {ServeCommand.class, CheckConfigCommand.class, InitDbCommand.class, MailCommand.class, HealthCommand.class,
                PurgeCommand.class,
                VersionCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_RUNTIME = 1;
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (try: serve)");
    }

    public static int run(String... args) {
        return new CommandLine(new Main())
                .setExitCodeExceptionMapper(e -> EXIT_RUNTIME)
                .setParameterExceptionHandler((ex, a) -> {
                    ex.getCommandLine().getErr().println("guerrillad: " + ex.getMessage());
                    return EXIT_USAGE;
                })
                .execute(args);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }
}
