package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.config.StoreConfig;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.function.IntConsumer;

/** Builds the store a config names. */
public final class Stores {
    private Stores() {
    }

    public static MailStore create(StoreConfig c, Executor processing) throws StoreException {
        return create(c, processing, n -> { });
    }

    /** @param batchCommitted told the size of each group commit (for metrics) */
    public static MailStore create(StoreConfig c, Executor processing, IntConsumer batchCommitted)
            throws StoreException {
        return switch (c.type.toLowerCase(Locale.ROOT)) {
            case "sqlite" -> new SqliteStore(Path.of(c.path), c.synchronous.toUpperCase(Locale.ROOT), processing,
                    c.batchSize, c.batchWaitMs, c.queueCapacity, batchCommitted);
            default -> throw new StoreException("store.type: unknown store \"" + c.type + "\"");
        };
    }
}
