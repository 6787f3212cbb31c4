package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.smtp.MailAddress;
import io.guerrilla.smtpd.store.MailStore;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * SQL in validate_process: runs {@code validate_sql} with the recipient (as the {@code to} column keeps it:
 * local part as sent, domain lower-cased) and accepts the recipient when the query returns a row.
 * JDBC blocks, so the query runs on the pipeline's validation executor.
 */
final class SqlRecipientCheck implements RecipientCheck {
    private final MailStore store;
    private final String query;
    private final Executor executor;

    SqlRecipientCheck(MailStore store, String query, Executor executor) {
        this.store = store;
        this.query = query;
        this.executor = executor;
    }

    @Override
    public CompletableFuture<Boolean> accepts(MailAddress rcpt) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return store.exists(query, rcpt.mailboxKey());
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, executor);
    }
}
