package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.config.ConfigException;
import io.guerrilla.smtpd.store.MailReader;
import io.guerrilla.smtpd.store.StoreException;
import io.guerrilla.smtpd.store.StoredMail;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "mail", mixinStandardHelpOptions = true, description = "Look at stored mail.",
        subcommands = {MailCommand.ListMail.class, MailCommand.ShowMail.class})
final class MailCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say list or show");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List stored messages, newest first.")
    static final class ListMail implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Option(names = "--to", paramLabel = "ADDR", description = "Only mail to this recipient.")
        String to;
        @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "At most N rows (default ${DEFAULT-VALUE}).")
        int limit;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return withReader(spec, options, (reader, out) -> {
                out.printf("%-8s %-19s %-30s %-30s %s%n", "ID", "DATE (UTC)", "FROM", "TO", "SUBJECT");
                for (StoredMail m : reader.list(to, limit)) {
                    out.printf("%-8d %-19s %-30s %-30s %s%n", m.id(), TerminalText.column(m.date(), 19),
                            TerminalText.column(m.from(), 30), TerminalText.column(m.to(), 30),
                            TerminalText.column(m.subject(), TerminalText.SUBJECT_COLUMN));
                }
                out.flush();
                return 0;
            });
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = {"Show one stored message.",
            "Control and bidi characters are shown visibly (ESC as ^[) unless --raw writes to a file or pipe."})
    static final class ShowMail implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Parameters(paramLabel = "ID", description = "The mail_id from 'mail list'.")
        long id;
        @Option(names = "--raw", description = "Write only the message, its bytes exactly as stored (made visible on a terminal).")
        boolean raw;
        @Option(names = "--force-raw", description = "As --raw, and the bytes unchanged even to a terminal.")
        boolean forceRaw;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return withReader(spec, options, (reader, out) -> {
                Optional<StoredMail> found = reader.get(id);
                if (found.isEmpty()) {
                    spec.commandLine().getErr().println("guerrillad: no mail with id " + id);
                    return Main.EXIT_RUNTIME;
                }
                StoredMail m = found.get();
                if (!raw && !forceRaw) {
                    out.printf("id: %d%ndate: %s%nfrom: %s%nto: %s%nsubject: %s%nhash: %s%nip: %s%n%n",
                            m.id(), TerminalText.visible(m.date()), TerminalText.visible(m.from()),
                            TerminalText.visible(m.to()), TerminalText.visible(m.subject()),
                            TerminalText.visible(m.hash()), TerminalText.visible(m.ipAddr()));
                }
                if (m.mail().length == 0 && ("redis".equals(m.body()) || "memcached".equals(m.body()))) {
                    out.println("(the message is in " + m.body() + " under key " + m.hash() + ")");
                } else if (forceRaw || raw && !TerminalText.stdoutIsTerminal()) {
                    // The stored bytes, not a decoding of them: 8-bit and binary bodies must survive a redirect.
                    out.flush();
                    System.out.write(m.mail(), 0, m.mail().length);
                    System.out.flush();
                    if (System.out.checkError()) {
                        spec.commandLine().getErr().println("guerrillad: cannot write the message to standard output");
                        return Main.EXIT_RUNTIME;
                    }
                } else {
                    out.print(TerminalText.visible(new String(m.mail(), StandardCharsets.UTF_8)));
                }
                out.flush();
                return 0;
            });
        }
    }

    /** What a mail subcommand does with the configured store open. */
    interface ReaderAction {
        int run(MailReader reader, PrintWriter out) throws SQLException;
    }

    /** Opens the configured store, runs the action, and turns failures into the CLI's exit codes. */
    static int withReader(CommandLine.Model.CommandSpec spec, ConfigOptions options, ReaderAction action) {
        try (MailReader reader = MailReader.open(options.load().store)) {
            return action.run(reader, spec.commandLine().getOut());
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("guerrillad: bad config: " + e.getMessage());
            return Main.EXIT_USAGE;
        } catch (StoreException | SQLException e) {
            spec.commandLine().getErr().println("guerrillad: " + e.getMessage());
            return Main.EXIT_RUNTIME;
        }
    }
}
