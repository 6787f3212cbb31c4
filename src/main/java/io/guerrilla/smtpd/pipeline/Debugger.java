package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.smtp.MailAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
        if (logAtInfo || log.isDebugEnabled()) {
            String line = "envelope id=" + e.queueId() + " client=" + e.clientIp() + " helo=" + e.helo()
                    + " with=" + e.protocol() + " from=<" + e.mailFrom() + "> rcpts=" + e.recipients()
                    + " size=" + e.body().size() + " subject=\"" + m.headers().subject() + "\"";
            if (logAtInfo) {
                log.info(line);
            } else {
                log.debug(line);
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Boolean> accepts(MailAddress recipient) {
        if (logAtInfo) {
            log.info("checking recipient <{}>", recipient);
        } else {
            log.debug("checking recipient <{}>", recipient);
        }
        return CompletableFuture.completedFuture(true);
    }
}
