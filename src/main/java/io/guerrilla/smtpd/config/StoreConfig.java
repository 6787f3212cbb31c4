package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** The {@code store:} section: where messages are committed and how commits are grouped. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public final class StoreConfig {
    /** Store kind; "sqlite" is the embedded default. */
    public String type = "sqlite";
    /** SQLite database file. */
    public String path = "./data/guerrilla.db";
    /** SQLite synchronous pragma: FULL (fsync per commit, survives power loss) or NORMAL. */
    public String synchronous = "FULL";
    public int batchSize = Limits.STORE_BATCH_SIZE;
    /** Milliseconds a commit may wait for more messages to join it; 0 commits whatever has queued. */
    public int batchWaitMs = 0;
    public int queueCapacity = Limits.STORE_QUEUE_CAPACITY;
    public int timeout = Limits.STORE_TIMEOUT_SECONDS;

    /** Adds each problem as "prefix + key: what is wrong". */
    void validate(String prefix, List<String> errors) {
        if (!"sqlite".equals(ListenerConfig.lower(type))) {
            errors.add(prefix + "type: unknown store \"" + type + "\" (known: sqlite)");
        }
        if (path == null || path.isBlank()) {
            errors.add(prefix + "path: must name the SQLite database file");
        }
        if (!List.of("full", "normal", "extra").contains(ListenerConfig.lower(synchronous))) {
            errors.add(prefix + "synchronous: must be FULL, EXTRA or NORMAL");
        }
        ListenerConfig.positive(errors, prefix + "batch_size", batchSize);
        if (batchWaitMs < 0) {
            errors.add(prefix + "batch_wait_ms: must not be negative");
        }
        ListenerConfig.positive(errors, prefix + "queue_capacity", queueCapacity);
        ListenerConfig.positive(errors, prefix + "timeout", timeout);
    }
}
