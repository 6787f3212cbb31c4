package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.server.Transport;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.Locale;

@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the version, the Java runtime and the network transport (epoll or nio).")
final class VersionCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().getOut().println(new Provider().getVersion()[0]);
    }

    static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"guerrillad " + (v == null ? "dev" : v) + ", Java " + Runtime.version() + " ("
                    + System.getProperty("java.vendor") + "), transport " + Transport.best().name().toLowerCase(Locale.ROOT)};
        }
    }
}
