package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.config.Compression;
import io.guerrilla.smtpd.config.ProcessorName;
import io.guerrilla.smtpd.config.StoreConfig;

import java.time.Duration;
import java.util.List;

/**
 * What the pipeline needs from the {@code store:} section, parsed once from a validated config.
 *
 * @param saveProcess     the processors each accepted message goes through, in order
 * @param validateProcess the recipient checks; empty: none
 * @param checkThreads    threads for recipient checks (the store's pool size: each may hold a connection)
 */
public record PipelineSettings(List<ProcessorName> saveProcess, List<ProcessorName> validateProcess,
                               String validateSql, Duration validateTimeout, int checkThreads,
                               Compression compress, boolean debuggerLogReceivedMails,
                               KeyValueSettings redis, KeyValueSettings memcached) {

    public PipelineSettings {
        saveProcess = List.copyOf(saveProcess);
        validateProcess = List.copyOf(validateProcess);
    }

    public static PipelineSettings from(StoreConfig c) {
        return new PipelineSettings(ProcessorName.parse(c.saveProcess),
                c.validateProcess == null || c.validateProcess.isBlank() ? List.of() : ProcessorName.parse(c.validateProcess),
                c.validateSql, Duration.ofMillis(c.validateTimeoutMs), c.poolSize, c.compress,
                c.debuggerLogReceivedMails, KeyValueSettings.from(c.redis), KeyValueSettings.from(c.memcached));
    }
}
