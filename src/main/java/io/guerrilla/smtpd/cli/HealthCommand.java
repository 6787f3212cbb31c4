package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.config.ConfigException;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.config.HostPort;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Asks the running server's admin listener whether it is alive, for a container HEALTHCHECK or a
 * monitoring script that has no HTTP client of its own: exit 0 on 200, 1 otherwise.
 */
@Command(name = "health", mixinStandardHelpOptions = true,
        description = {"Ask the running server's admin listener (admin.listen) for /healthz, or /readyz with --ready.",
                "Exit 0 when it answers 200, 1 when it does not, 2 when the config has no admin listener."})
final class HealthCommand implements Callable<Integer> {
    /** A health check that hangs is worse than one that fails; container runtimes kill it anyway. */
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Mixin
    ConfigOptions options;

    @Option(names = "--ready", description = "Ask /readyz (the store answers too) instead of /healthz (the process answers).")
    boolean ready;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        GuerrillaConfig config;
        try {
            config = options.load();
        } catch (ConfigException e) {
            return ConfigOptions.badConfig(spec, e);
        }
        if (!config.admin.enabled()) {
            spec.commandLine().getErr().println("guerrillad: admin.listen is not set, so there is nothing to ask");
            return Main.EXIT_USAGE;
        }
        HostPort admin = HostPort.parse(config.admin.listen);
        // A wildcard listen address is asked on loopback, where it also answers.
        String host = switch (admin.host()) {
            case "", "0.0.0.0" -> "127.0.0.1";
            case "::" -> "[::1]";
            default -> admin.host().contains(":") ? "[" + admin.host() + "]" : admin.host();
        };
        URI uri = URI.create("http://" + host + ":" + admin.port() + (ready ? "/readyz" : "/healthz"));
        HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
        try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                spec.commandLine().getOut().println(uri + ": " + r.body().strip());
                return 0;
            }
            spec.commandLine().getErr().println("guerrillad: " + uri + " answered " + r.statusCode());
        } catch (IOException e) {
            spec.commandLine().getErr().println("guerrillad: " + uri + ": " + e);
        }
        return Main.EXIT_RUNTIME;
    }
}
