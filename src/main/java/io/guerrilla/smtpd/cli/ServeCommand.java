package io.guerrilla.smtpd.cli;

import ch.qos.logback.classic.Level;
import io.guerrilla.smtpd.app.Daemon;
import io.guerrilla.smtpd.config.ConfigException;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the SMTP server in the foreground.")
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Mixin
    ConfigOptions options;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        GuerrillaConfig config;
        try {
            config = options.load();
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("guerrillad: bad config: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        Logging.setLevel(Level.toLevel(config.logLevel, Level.INFO));
        Daemon daemon = new Daemon(config);
        CountDownLatch stopped = new CountDownLatch(1);
        try {
            daemon.start();
        } catch (StoreException e) {
            log.error("cannot start: {}", e.getMessage());
            daemon.close();
            return Main.EXIT_RUNTIME;
        } catch (RuntimeException e) {
            log.error("cannot start: {}", e.toString());
            daemon.close();
            return Main.EXIT_RUNTIME;
        }
        // Handling TERM/INT ourselves (rather than a shutdown hook) lets a requested stop exit 0,
        // which is what systemd and container runtimes treat as a clean stop.
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), sig -> {
                log.info("SIG{} received, shutting down", sig.getName());
                stopped.countDown();
            });
        }
        stopped.await();
        daemon.close();
        log.info("stopped");
        return 0;
    }
}
