package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.mail.ReceivedHeader;

import java.util.concurrent.CompletableFuture;

/** Prepends Delivered-To and Received (RFC 5321 4.4) to each recipient's copy. */
final class TraceHeaderWriter implements Processor {
    @Override
    public boolean runsInline() {
        return true;
    }

    @Override
    public CompletableFuture<Void> process(Message m) {
        for (Message.Copy c : m.copies()) {
            c.trace(ReceivedHeader.forRecipient(m.envelope(), c.recipient()));
        }
        return CompletableFuture.completedFuture(null);
    }
}
