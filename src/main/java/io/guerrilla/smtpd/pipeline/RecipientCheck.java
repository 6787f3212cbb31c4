package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.smtp.MailAddress;

import java.util.concurrent.CompletableFuture;

/** One step of validate_process: whether a recipient exists; failing (or too slow) means "cannot tell now". */
interface RecipientCheck {
    CompletableFuture<Boolean> accepts(MailAddress recipient);
}
