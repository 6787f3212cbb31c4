package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.smtp.MailAddress;

import java.util.concurrent.CompletableFuture;

/** What a session hands its recipients and messages to: the configured pipeline, or one that a reload can replace. */
public interface Delivery {
    /** Whether validate_process names any check, so sessions must ask before accepting a recipient. */
    boolean validatesRecipients();

    /** True when every check accepts the recipient; fails (451 4.3.0) on error or timeout. */
    CompletableFuture<Boolean> validateRecipient(MailAddress rcpt);

    /** Completes when the message is committed: only then may the client get its 250. */
    CompletableFuture<Void> save(Envelope env);

    /** Cheap (no I/O): whether every service written to was reachable at its last attempt. */
    boolean isHealthy();
}
