package io.guerrilla.smtpd.cli;

import io.guerrilla.smtpd.config.ConfigException;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.config.ProcessorName;
import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.config.StoreConfig.KeyValueConfig;
import io.guerrilla.smtpd.config.StoreType;
import io.guerrilla.smtpd.pipeline.Pipeline;
import io.guerrilla.smtpd.store.MailReader;
import io.guerrilla.smtpd.store.SqlDialect;
import io.guerrilla.smtpd.store.StoreException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.utils.AddrUtil;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "check-config", mixinStandardHelpOptions = true,
        description = {"Validate a config file (and flags); exit 0 when usable, 2 naming each bad key otherwise.",
                "Network stores are not contacted unless --connect is given (then exit 1 if one cannot be used)."})
final class CheckConfigCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Mixin
    ListenerOptions listenerOptions;

    @Option(names = "--connect", description = "Also connect to the SQL store (and Redis or Memcached when save_process names it) and read its new_mail table.")
    boolean connect;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        GuerrillaConfig config;
        try {
            config = options.load(listenerOptions);
        } catch (ConfigException e) {
            return ConfigOptions.badConfig(spec, e);
        }
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        // A config's values (a go-guerrilla sql_dsn, a store.dsn) may carry a password: never echoed.
        config.warnings.forEach(w -> err.println("guerrillad: warning: " + SqlDialect.redact(w)));
        Pipeline.durabilityWarnings(config.store).forEach(w -> err.println("guerrillad: warning: " + w));
        out.println("config ok");
        StoreConfig store = config.store;
        List<ProcessorName> chain = ProcessorName.parse(store.saveProcess);
        boolean ok = true;
        if (store.type != StoreType.SQLITE) {
            ok = check("store", describe(store), () -> sql(store));
        }
        if (chain.contains(ProcessorName.REDIS)) {
            ok &= check("store.redis", "redis at " + store.redis.host + ":" + store.redis.port, () -> redis(store.redis));
        }
        if (chain.contains(ProcessorName.MEMCACHED)) {
            ok &= check("store.memcached", "memcached at " + store.memcached.host + ":" + store.memcached.port,
                    () -> memcached(store.memcached));
        }
        out.flush();
        return ok ? 0 : Main.EXIT_RUNTIME;
    }

    /** What was checked and how it went, or that it was not contacted at all. */
    interface Probe {
        String run() throws Exception;
    }

    private boolean check(String key, String what, Probe probe) {
        PrintWriter out = spec.commandLine().getOut();
        if (!connect) {
            out.println(key + ": " + what + " was not contacted (add --connect to check it)");
            return true;
        }
        try {
            out.println(key + ": " + what + ": " + probe.run());
            return true;
        } catch (Exception e) {
            spec.commandLine().getErr().println("guerrillad: " + key + ": " + what + ": " + e.getMessage());
            return false;
        }
    }

    /** Without the password, and without store.dsn, whose URL may carry one. */
    private static String describe(StoreConfig s) {
        if (s.dsn != null && !s.dsn.isBlank()) {
            return s.type.configName() + " database named by store.dsn";
        }
        int port = s.port != 0 ? s.port : s.type == StoreType.MYSQL ? 3306 : 5432;
        return s.type.configName() + " database " + s.database + " on " + s.host + ":" + port + " as " + s.user;
    }

    private static String sql(StoreConfig s) throws StoreException, SQLException {
        try (MailReader reader = MailReader.open(s)) {
            reader.list(null, 1);
        }
        return "reached, new_mail readable";
    }

    private static String redis(KeyValueConfig c) {
        RedisURI.Builder b = RedisURI.builder().withHost(c.host).withPort(c.port).withDatabase(c.database)
                .withTimeout(Duration.ofMillis(c.timeoutMs));
        if (c.password != null && !c.password.isEmpty()) {
            b.withPassword(c.password.toCharArray());
        }
        RedisClient client = RedisClient.create();
        try (StatefulRedisConnection<String, String> conn = client.connect(b.build())) {
            return "reached, PING answered " + conn.sync().ping();
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static String memcached(KeyValueConfig c) throws Exception {
        XMemcachedClientBuilder b = new XMemcachedClientBuilder(AddrUtil.getAddresses(c.host + ":" + c.port));
        b.setConnectTimeout(c.timeoutMs);
        b.setOpTimeout(c.timeoutMs);
        MemcachedClient client = b.build();
        try {
            Map<?, String> versions = client.getVersions(c.timeoutMs);
            if (versions.isEmpty()) {
                throw new IllegalStateException("no answer within " + c.timeoutMs + " ms");
            }
            return "reached, version " + versions.values().iterator().next().toLowerCase(Locale.ROOT);
        } finally {
            client.shutdown();
        }
    }
}
