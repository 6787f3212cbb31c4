package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The whole configuration, as read from YAML. Key names follow go-guerrilla's where it has one
 * ({@code listen_interface}, {@code host_name}, {@code allowed_hosts}, {@code max_size},
 * {@code max_clients}, {@code timeout}) so its users recognise them.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public final class GuerrillaConfig {
    public String listenInterface = "127.0.0.1:2525";
    public String hostName = LocalHost.name();
    public List<String> allowedHosts = LocalHost.defaultAllowedHosts();
    public long maxSize = Limits.MAX_SIZE;
    public int maxClients = Limits.MAX_CLIENTS;
    public int maxRecipients = Limits.MAX_RECIPIENTS;
    public int maxBadCommands = Limits.MAX_BAD_COMMANDS;
    public int maxCommandLineLength = Limits.MAX_COMMAND_LINE_LENGTH;
    public int maxDataLineLength = Limits.MAX_DATA_LINE_LENGTH;
    public int timeout = Limits.TIMEOUT_SECONDS;
    /** "normalize" (store bare CR/LF as CRLF, Postfix 3.9's default) or "reject" (550 5.6.0). */
    public String bareNewline = "normalize";
    public String logLevel = "info";
    public StoreConfig store = new StoreConfig();

    /** Every problem found, each as "key: what is wrong"; empty when the config is usable. */
    public List<String> validate() {
        List<String> errors = new ArrayList<>();
        try {
            HostPort.parse(listenInterface);
        } catch (IllegalArgumentException e) {
            errors.add("listen_interface: " + e.getMessage());
        }
        if (hostName == null || hostName.isBlank() || hostName.chars().anyMatch(c -> c <= ' ' || c == 127)) {
            errors.add("host_name: must be a non-empty name without spaces or control characters");
        }
        if (allowedHosts == null || allowedHosts.isEmpty()) {
            errors.add("allowed_hosts: must list at least one domain (use \"*\" to accept every domain)");
        } else if (allowedHosts.stream().anyMatch(h -> h == null || h.isBlank())) {
            errors.add("allowed_hosts: empty entry");
        }
        positive(errors, "max_size", maxSize);
        positive(errors, "max_clients", maxClients);
        if (maxRecipients < 1) {
            errors.add("max_recipients: must be at least 1 (RFC 5321 asks for 100)");
        }
        positive(errors, "max_bad_commands", maxBadCommands);
        if (maxCommandLineLength < 512) {
            errors.add("max_command_line_length: must be at least 512 (RFC 5321 4.5.3.1.4)");
        }
        if (maxDataLineLength != 0 && maxDataLineLength < 1000) {
            errors.add("max_data_line_length: must be 0 (no limit) or at least 1000 (RFC 5321 4.5.3.1.6)");
        }
        positive(errors, "timeout", timeout);
        if (!List.of("normalize", "reject").contains(lower(bareNewline))) {
            errors.add("bare_newline: must be \"normalize\" or \"reject\"");
        }
        if (!List.of("trace", "debug", "info", "warn", "error").contains(lower(logLevel))) {
            errors.add("log_level: must be one of trace, debug, info, warn, error");
        }
        if (store == null) {
            errors.add("store: missing");
        } else {
            if (!"sqlite".equals(lower(store.type))) {
                errors.add("store.type: unknown store \"" + store.type + "\" (known: sqlite)");
            }
            if (store.path == null || store.path.isBlank()) {
                errors.add("store.path: must name the SQLite database file");
            }
            if (!List.of("full", "normal", "extra").contains(lower(store.synchronous))) {
                errors.add("store.synchronous: must be FULL, EXTRA or NORMAL");
            }
            positive(errors, "store.batch_size", store.batchSize);
            if (store.batchWaitMs < 0) {
                errors.add("store.batch_wait_ms: must not be negative");
            }
            positive(errors, "store.queue_capacity", store.queueCapacity);
            positive(errors, "store.timeout", store.timeout);
        }
        return errors;
    }

    private static void positive(List<String> errors, String key, long value) {
        if (value <= 0) {
            errors.add(key + ": must be greater than 0");
        }
    }

    private static String lower(String s) {
        return s == null ? "" : s.toLowerCase(Locale.ROOT);
    }
}
