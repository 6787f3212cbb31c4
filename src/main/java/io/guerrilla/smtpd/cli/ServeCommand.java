package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.admin.AdminServer;
import io.guerrilla.smtpd.app.Daemon;
import io.guerrilla.smtpd.app.Logs;
import io.guerrilla.smtpd.app.PidFile;
import io.guerrilla.smtpd.app.ReloadException;
import io.guerrilla.smtpd.config.ConfigException;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.config.HostPort;
import io.guerrilla.smtpd.config.HttpConfig;
import io.guerrilla.smtpd.http.ReadingServer;
import io.guerrilla.smtpd.metrics.PrometheusMetrics;
import io.guerrilla.smtpd.server.ListenException;
import io.guerrilla.smtpd.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;

@Command(name = "serve", mixinStandardHelpOptions = true, description = {
        "Run the SMTP server in the foreground.",
        "Signals: HUP reloads the config, USR1 reopens the log file, TERM/INT drain and stop (exit 0)."})
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Mixin
    ConfigOptions options;

    @Mixin
    ListenerOptions listenerOptions;

    @Option(names = "--pid-file", paramLabel = "FILE", description = "Write the process id here while serving (overrides pid_file).")
    Path pidFileFlag;

    @Option(names = "--no-smtp", description = "Serve only the HTTP reading side (http.listen), not SMTP: readers scale apart from receivers.")
    boolean noSmtp;

    @Option(names = "--no-http", description = "Serve only SMTP, without the HTTP reading side (as http.listen: \"\").")
    boolean noHttp;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        try {
            return serve();
        } finally {
            Logs.flush();
        }
    }

    private int serve() throws InterruptedException {
        GuerrillaConfig config;
        try {
            config = options.load(listenerOptions);
        } catch (ConfigException e) {
            return ConfigOptions.badConfig(spec, e);
        }
        if (!Logs.configure(config)) {
            spec.commandLine().getErr().println("guerrillad: log_file: cannot open " + config.logFile);
            return Main.EXIT_RUNTIME;
        }
        config.warnings.forEach(w -> log.warn("config: {}", w));
        if (noSmtp && (noHttp || !config.http.enabled())) {
            spec.commandLine().getErr().println("guerrillad: --no-smtp with the HTTP listener off leaves nothing to serve");
            return Main.EXIT_USAGE;
        }
        PrometheusMetrics metrics = new PrometheusMetrics(config.nodeName);
        Daemon daemon = new Daemon(config, metrics);
        AdminServer admin = null;
        ReadingServer reading = null;
        Path wantedPidFile = pidFileFlag != null ? pidFileFlag : config.pidFile.isBlank() ? null : Path.of(config.pidFile);
        // Set only once written: a second instance that fails to start must not remove the first one's.
        PidFile pidFile = null;
        // Signals only queue work: reloads and the stop then run one at a time on this thread. The
        // handlers go in before anything listens, so a signal sent as soon as the port answers is
        // never met by the JVM's default action (exit) instead.
        BlockingQueue<String> signals = new LinkedBlockingQueue<>();
        for (String name : new String[] {"TERM", "INT", "HUP", "USR1"}) {
            // A signal ignored by whoever started us (nohup ignores HUP) stays ignored: the JVM
            // will not take it over, so say so rather than let a reload silently do nothing.
            if (Signal.handle(new Signal(name), sig -> signals.add(sig.getName())) == SignalHandler.SIG_IGN) {
                log.warn("SIG{} was ignored when this process started (nohup?) and stays ignored", name);
            }
        }
        try {
            if (!noSmtp) {
                daemon.start();
            }
            if (!noHttp && config.http.enabled()) {
                reading = ReadingServer.start(config);
                log.info("reading mail over HTTP at {}", reading.url());
            }
            if (config.admin.enabled()) {
                admin = AdminServer.start(HostPort.parse(config.admin.listen), metrics, daemon);
                log.info("admin listening on {}:{}", admin.address().getAddress().getHostAddress(), admin.address().getPort());
                if (!admin.address().getAddress().isLoopbackAddress()) {
                    log.warn("admin listener is not on loopback and has no authentication; firewall it");
                }
            }
            if (wantedPidFile != null) {
                pidFile = PidFile.write(wantedPidFile, ProcessHandle.current().pid());
            }
            // The last step of starting: scripts (and tests) wait for this line, as for the pid file.
            log.info("serving, pid {}", ProcessHandle.current().pid());
        } catch (StoreException e) {
            log.error("cannot start: {}", e.getMessage());
            stop(daemon, admin, reading, pidFile);
            return Main.EXIT_RUNTIME;
        } catch (ListenException e) {
            log.error("cannot start: {}", e.getMessage());
            if (!config.logFile.equalsIgnoreCase("stdout") && !config.logFile.equalsIgnoreCase("stderr")) {
                // The log is a file: whoever started the process is told why it exits too.
                spec.commandLine().getErr().println("guerrillad: " + e.getMessage());
            }
            stop(daemon, admin, reading, pidFile);
            return Main.EXIT_RUNTIME;
        } catch (IOException | RuntimeException e) {
            log.error("cannot start: {}", e.toString());
            stop(daemon, admin, reading, pidFile);
            return Main.EXIT_RUNTIME;
        }

        while (true) {
            String sig = signals.take();
            if (sig.equals("HUP")) {
                reload(daemon, reading);
            } else if (sig.equals("USR1")) {
                if (Logs.configure(daemon.config())) {
                    log.info("SIGUSR1: log reopened");
                } else {
                    log.error("SIGUSR1: cannot reopen {}; still logging to the old file", daemon.config().logFile);
                }
            } else {
                break;
            }
        }
        // Exiting 0 on a requested stop is what systemd and container runtimes treat as clean.
        Duration max = Duration.ofSeconds(daemon.config().shutdownTimeout);
        log.info("stopping: draining sessions and saves for up to {}s", max.toSeconds());
        if (!noSmtp && !daemon.drain(max)) {
            log.warn("stopping with {} sessions and {} saves unfinished after {}s", daemon.openSessions(),
                    daemon.savesInFlight(), max.toSeconds());
        }
        stop(daemon, admin, reading, pidFile);
        log.info("stopped");
        return 0;
    }

    /** A bad file or a store or listener that will not start is logged; the running config stays. */
    private void reload(Daemon daemon, ReadingServer reading) {
        GuerrillaConfig next;
        try {
            next = options.load(listenerOptions);
        } catch (ConfigException e) {
            e.getMessage().lines().forEach(line -> log.error("SIGHUP: bad config, still serving the old one: {}", line));
            return;
        }
        GuerrillaConfig old = daemon.config();
        if (!old.nodeName.equals(next.nodeName)) {
            // The metrics registry's tag is fixed at start; logs and headers keep to the same name.
            log.warn("SIGHUP: node_name changed; restart to apply it");
            next.nodeName = old.nodeName;
        }
        if (!noSmtp) {
            try {
                daemon.reload(next);
            } catch (ReloadException e) {
                log.error("SIGHUP: reload failed, still serving the old config: {}", e.getMessage());
                return;
            }
        }
        reloadHttp(old, next, reading);
        next.warnings.forEach(w -> log.warn("config: {}", w));
        if (!old.admin.listen.equals(next.admin.listen)) {
            log.warn("SIGHUP: admin.listen changed; restart to apply it");
        }
        if (!old.pidFile.equals(next.pidFile)) {
            log.warn("SIGHUP: pid_file changed; restart to apply it");
        }
        // Said before the new log settings apply, so it lands where the operator is looking now.
        log.info("SIGHUP: config reloaded, {} listeners", next.listeners().size());
        if (!Logs.configure(next)) {
            log.error("SIGHUP: cannot open log_file {}; logging stays where it was", next.logFile);
        }
    }

    /**
     * The HTTP listener's certificate files are read again (renewed certificates); the listener itself
     * and its other keys need a restart, which is said rather than half-applied.
     */
    private static void reloadHttp(GuerrillaConfig old, GuerrillaConfig next, ReadingServer reading) {
        if (reading != null && reading.tls() && next.http.tls()) {
            try {
                reading.reloadTls(next.http);
                log.info("SIGHUP: http certificate reloaded from {}", next.http.certFile);
            } catch (Exception e) {
                log.error("SIGHUP: cannot load the http certificate, keeping the old one: {}", e.toString());
            }
        }
        HttpConfig a = old.http;
        HttpConfig b = next.http;
        if (!a.listen.equals(b.listen) || a.tls() != b.tls() || !a.apiToken.equals(b.apiToken)
                || a.maxPageSize != b.maxPageSize || a.maxWaitSeconds != b.maxWaitSeconds
                || a.maxSubscribersPerClient != b.maxSubscribersPerClient || a.defaultPageSize != b.defaultPageSize) {
            log.warn("SIGHUP: http settings other than the certificate files changed; restart to apply them");
        }
    }

    private static void stop(Daemon daemon, AdminServer admin, ReadingServer reading, PidFile pidFile) {
        if (admin != null) {
            admin.close();
        }
        if (reading != null) {
            reading.close();
        }
        daemon.close();
        if (pidFile != null) {
            try {
                pidFile.remove();
            } catch (IOException e) {
                log.warn("cannot remove pid file {}: {}", pidFile.path(), e.toString());
            }
        }
    }
}
