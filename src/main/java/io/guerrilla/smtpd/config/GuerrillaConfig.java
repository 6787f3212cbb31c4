package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The whole configuration, as read from YAML. Key names follow go-guerrilla's where it has one
 * ({@code listen_interface}, {@code host_name}, {@code allowed_hosts}, {@code max_size},
 * {@code max_clients}, {@code timeout}) so its users recognise them.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public final class GuerrillaConfig extends ListenerConfig {
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9._-]{1," + Limits.MAX_NODE_NAME_LENGTH + "}");

    /**
     * Several listeners in one process (e.g. 25 with STARTTLS and 465 with implicit TLS); each
     * entry starts from the top-level listener keys and overrides what it names. Empty: the
     * top-level keys are the one listener.
     */
    public List<ListenerConfig> servers = new ArrayList<>();
    /**
     * This process's name among several behind one balancer, in every log line ({@code node=}), as a
     * tag on every metric and in the Received header's by-clause; the host name unless set. Letters,
     * digits, '.', '-' and '_' only: it is written unquoted into all three.
     */
    public String nodeName = LocalHost.name();
    public String logLevel = "info";
    public StoreConfig store = new StoreConfig();
    /** Where log lines go: "stdout", "stderr" or a file path (reopened on SIGUSR1, for logrotate). */
    public String logFile = "stdout";
    /** "text" (one human-readable line per event) or "json" (one JSON object per line). */
    public String logFormat = "text";
    /** File to write the process id into while serving; empty: none. */
    public String pidFile = "";
    /** Seconds a graceful stop waits for in-flight messages (see {@link Limits#SHUTDOWN_TIMEOUT_SECONDS}). */
    public int shutdownTimeout = Limits.SHUTDOWN_TIMEOUT_SECONDS;
    /** Direct memory for all bodies being received, every listener together (see {@link Limits#BODY_MEMORY}). */
    public long bodyMemory = Limits.BODY_MEMORY;
    public AdminConfig admin = new AdminConfig();
    /** Octets kept free on the store's and spill directories' file systems (see {@link Limits#MIN_FREE_SPACE}); 0: no guard. */
    public long minFreeSpace = Limits.MIN_FREE_SPACE;
    /** The same reserve in percent of each file system; the smaller applies; 0: no guard. */
    public int minFreeSpacePercent = Limits.MIN_FREE_SPACE_PERCENT;
    /** The listener that serves stored mail back over HTTP; on by default, on loopback. */
    public HttpConfig http = new HttpConfig();
    public RetentionConfig retention = new RetentionConfig();

    /** Keys of a go-guerrilla config that had no equivalent here; not a config key itself. */
    @JsonIgnore
    public List<String> warnings = new ArrayList<>();

    /** The listeners to run, in config order. */
    public List<ListenerConfig> listeners() {
        return servers == null || servers.isEmpty() ? List.of(this) : List.copyOf(servers);
    }

    /** Every problem found, each as "key: what is wrong"; empty when the config is usable. */
    public List<String> validate() {
        List<String> errors = new ArrayList<>();
        if (servers == null || servers.isEmpty()) {
            validateListener("", errors);
        } else {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < servers.size(); i++) {
                ListenerConfig l = servers.get(i);
                String prefix = "servers[" + i + "].";
                if (l == null) {
                    errors.add(prefix.substring(0, prefix.length() - 1) + ": empty entry");
                    continue;
                }
                l.validateListener(prefix, errors);
                if (l.listenInterface != null && !seen.add(l.listenInterface)) {
                    errors.add(prefix + "listen_interface: " + l.listenInterface + " is used by an earlier server");
                }
            }
        }
        if (nodeName == null || !NODE_NAME.matcher(nodeName).matches()) {
            errors.add("node_name: must be 1 to " + Limits.MAX_NODE_NAME_LENGTH
                    + " letters, digits, '.', '-' or '_' (the host name when not set)");
        }
        if (!List.of("trace", "debug", "info", "warn", "error").contains(lower(logLevel))) {
            errors.add("log_level: must be one of trace, debug, info, warn, error");
        }
        if (logFile == null || logFile.isBlank()) {
            errors.add("log_file: must be stdout, stderr or a file path");
        }
        if (!List.of("text", "json").contains(lower(logFormat))) {
            errors.add("log_format: must be text or json");
        }
        if (pidFile == null) {
            errors.add("pid_file: must be a path, or empty for none");
        }
        positive(errors, "shutdown_timeout", shutdownTimeout);
        if (bodyMemory < 0) {
            errors.add("body_memory: must be 0 (half of the JVM's direct memory) or a number of octets");
        }
        if (minFreeSpace < 0) {
            errors.add("min_free_space: must not be negative (0 turns the free space guard off)");
        }
        if (minFreeSpacePercent < 0 || minFreeSpacePercent > 100) {
            errors.add("min_free_space_percent: must be 0..100 (0 turns the free space guard off)");
        }
        if (admin == null) {
            errors.add("admin: missing");
        } else {
            admin.validate("admin.", errors);
        }
        if (http == null) {
            errors.add("http: missing (write listen: \"\" to turn the listener off)");
        } else {
            http.validate("http.", errors);
            if (http.guerrillaApi == null) {
                errors.add("http.guerrilla_api: missing");
            } else if (http.enabled()) {
                http.guerrillaApi.validate("http.guerrilla_api.", this, errors);
            }
        }
        if (store == null) {
            errors.add("store: missing");
        } else {
            store.validate("store.", errors);
        }
        if (retention == null) {
            errors.add("retention: missing");
        } else {
            retention.validate("retention.", errors);
        }
        if (errors.isEmpty()) {
            warnBodiesExpireFirst();
        }
        return errors;
    }

    /** A row whose Redis/Memcached body expired before retention deletes it can no longer be read. */
    private void warnBodiesExpireFirst() {
        Duration maxAge = retention.maxAge();
        List<ProcessorName> steps = ProcessorName.parse(store.saveProcess);
        for (ProcessorName kv : List.of(ProcessorName.REDIS, ProcessorName.MEMCACHED)) {
            StoreConfig.KeyValueConfig c = kv == ProcessorName.REDIS ? store.redis : store.memcached;
            String key = "store." + kv.name().toLowerCase(Locale.ROOT) + ".ttl";
            String warning = key + ": bodies expire after " + c.ttl + "s, before retention.max_age (" + retention.maxAge
                    + ") deletes their rows; those messages cannot be read in between. Make the TTL at least max_age";
            if (steps.contains(kv) && c.ttl > 0 && (maxAge.isZero() || maxAge.toSeconds() > c.ttl)
                    && !warnings.contains(warning)) {
                warnings.add(warning);
            }
        }
    }
}
