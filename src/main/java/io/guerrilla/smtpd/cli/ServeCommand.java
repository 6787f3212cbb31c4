package io.guerrilla.smtpd.cli;

import ch.qos.logback.classic.Level;
import io.guerrilla.smtpd.app.Daemon;
import io.guerrilla.smtpd.config.ConfigException;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down");
            daemon.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
        return 0;
    }
}
