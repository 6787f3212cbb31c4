package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.smtp.MailAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

import java.util.concurrent.CompletableFuture;

/**
 * Logs the envelope, for following a message through the pipeline (go-guerrilla's Debugger); in
 * validate_process it logs each recipient checked and accepts it.
 */
final class Debugger implements Processor, RecipientCheck {
    private static final Logger log = LoggerFactory.getLogger(Debugger.class);
    private final boolean logAtInfo;

    Debugger(boolean logAtInfo) {
        this.logAtInfo = logAtInfo;
    }

    @Override
    public CompletableFuture<Void> process(Message m) {
        Envelope e = m.envelope();
        level().setMessage("envelope").addKeyValue("queue_id", e.queueId()).addKeyValue("client", e.clientIp())
                .addKeyValue("helo", e.helo()).addKeyValue("with", e.protocol()).addKeyValue("from", "<" + e.mailFrom() + ">")
                .addKeyValue("rcpts", e.recipients().size())
                .addKeyValue("to", String.join(",", e.recipients().stream().map(r -> "<" + r + ">").toList()))
                .addKeyValue("size", e.body().size()).addKeyValue("subject", m.headers().subject()).log();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Boolean> accepts(MailAddress recipient) {
        level().setMessage("checking recipient").addKeyValue("to", "<" + recipient + ">").log();
        return CompletableFuture.completedFuture(true);
    }

    /** Client text goes into key-values, where the log encoder quotes and escapes it. */
    private LoggingEventBuilder level() {
        return logAtInfo ? log.atInfo() : log.atDebug();
    }
}
