package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.mail.MimeHeaderReader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

/** Parses the top-level headers once (Mime4j) for the row's subject, charset, content type and the rest. */
final class HeaderParsing implements Processor {
    @Override
    public boolean runsInline() {
        return true;
    }

    @Override
    public CompletableFuture<Void> process(Message m) {
        try (InputStream in = m.envelope().body().openStream()) {
            m.headers(MimeHeaderReader.extract(in));
        } catch (IOException | UncheckedIOException e) {
            return CompletableFuture.failedFuture(e);
        }
        return CompletableFuture.completedFuture(null);
    }
}
