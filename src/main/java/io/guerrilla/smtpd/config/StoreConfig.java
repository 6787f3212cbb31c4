package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

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
}
