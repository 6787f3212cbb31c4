package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.mail.ParsedHeaders;
import io.guerrilla.smtpd.smtp.MailAddress;
import io.guerrilla.smtpd.store.MailRow;
import io.guerrilla.smtpd.store.MailStore;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.guerrilla.smtpd.mail.TextLimits.cap;

/**
 * Writes one {@code new_mail} row per copy and completes when the store has committed them all, in
 * one transaction: that commit is what the 250 reply stands for.
 */
final class Sql implements Processor {
    private final MailStore store;

    Sql(MailStore store) {
        this.store = store;
    }

    @Override
    public boolean runsInline() {
        return true;
    }

    @Override
    public CompletableFuture<Void> process(Message m) {
        return store.save(rows(m), m.claim());
    }

    @Override
    public boolean isHealthy() {
        return store.isHealthy();
    }

    static List<MailRow> rows(Message m) {
        Envelope env = m.envelope();
        ParsedHeaders h = m.headers();
        List<MailRow> rows = new ArrayList<>(m.copies().size());
        for (Message.Copy c : m.copies()) {
            MailAddress rcpt = c.recipient();
            // Capped to the seed's MySQL column widths for every store, so all keep the same values.
            rows.add(new MailRow(env.receivedAt(), cap(h.from(), 128), cap(rcpt.mailboxKey(), 255), cap(h.subject(), 255),
                    c.bodyKind(), cap(h.charset(), 32), c, 0f, c.hash(), cap(h.contentType(), 64),
                    cap(rcpt.toString(), 255), h.hasAttachment(), cap(env.clientIp(), 64), cap(h.messageId(), 255),
                    cap(h.replyTo(), 255), cap(h.sender(), 255), cap(env.mailFrom().toString(), 255), env.tls()));
        }
        return rows;
    }
}
