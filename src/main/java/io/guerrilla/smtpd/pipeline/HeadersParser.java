package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.mail.HeaderExtractor;

import java.util.concurrent.CompletableFuture;

/** Parses the top-level headers once (Mime4j) for the row's subject, charset, content type and the rest. */
final class HeadersParser implements Processor {
    @Override
    public CompletableFuture<Void> process(Message m) {
        byte[] content = m.content();
        m.headers(HeaderExtractor.extract(content, 0, content.length));
        return CompletableFuture.completedFuture(null);
    }
}
