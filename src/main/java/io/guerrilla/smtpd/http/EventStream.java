package io.guerrilla.smtpd.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.guerrilla.smtpd.mailbox.MailboxEvents;
import io.guerrilla.smtpd.store.MailboxQueries;
import io.guerrilla.smtpd.store.MailboxQueries.Summary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * One Server-Sent Events response for one mailbox: first the mail newer than the client's
 * {@code Last-Event-ID} (read with its own query), then each new message as the shared poll finds it.
 * Every event's id is the {@code mail_id}, so a client that reconnects resumes where it was.
 *
 * <p>The stream holds no thread while idle: events queue here and a small sender pool writes them,
 * one stream at a time each. A client that stops reading fills its queue and is cut off; it loses
 * nothing, as its reconnect resumes from its last id.
 */
final class EventStream implements MailboxEvents.Listener {
    private static final Logger log = LoggerFactory.getLogger(EventStream.class);
    /** Events waiting for a slow client before its stream is closed (it resumes by Last-Event-ID). */
    static final int MAX_QUEUED_EVENTS = 1000;
    /** Rows per catch-up query. */
    static final int CATCH_UP_BATCH = 200;
    /** Milliseconds a browser waits before reconnecting, sent as the stream's {@code retry:}. */
    static final int RETRY_MS = 2000;
    static final ObjectWriter LINE = HttpListener.JSON.writer().without(SerializationFeature.INDENT_OUTPUT);

    private final String mailbox;
    private final long lastEventId;
    private final OutputStream out;
    private final Executor sender;
    private final MailboxEvents events;
    private final MailboxQueries queries;
    private final Function<Summary, Object> view;
    private final Runnable onClose;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private List<Summary> pending = new ArrayList<>();
    /**
     * Ids the catch-up query sent. The shared poll may find the same rows after the catch-up (its
     * cursor can be behind the query's), so live events are checked against them: sent once only.
     */
    private final Set<Long> sentByCatchUp = new HashSet<>();
    private boolean caughtUp;
    private boolean writing;
    private boolean closed;

    EventStream(String mailbox, long lastEventId, OutputStream out, Executor sender, MailboxEvents events,
                MailboxQueries queries, Function<Summary, Object> view, Runnable onClose) {
        this.mailbox = mailbox;
        this.lastEventId = lastEventId;
        this.out = out;
        this.sender = sender;
        this.events = events;
        this.queries = queries;
        this.view = view;
        this.onClose = onClose;
    }

    /** Completes when the stream has ended (client gone, too slow, or the server stopping). */
    CompletableFuture<Void> done() {
        return done;
    }

    /** Subscribes first, then reads what was missed, so nothing falls between the two. */
    void start() {
        events.subscribe(mailbox, this);
        enqueue(("retry: " + RETRY_MS + "\n: open\n\n").getBytes(StandardCharsets.US_ASCII));
        sender.execute(this::catchUp);
    }

    private void catchUp() {
        Set<Long> sent = new HashSet<>();
        try {
            long after = lastEventId;
            while (true) {
                List<Summary> batch = queries.newer(mailbox, after, CATCH_UP_BATCH);
                for (Summary s : batch) {
                    enqueue(event(s));
                    sent.add(s.id());
                    after = s.id();
                }
                if (batch.size() < CATCH_UP_BATCH || isClosed()) {
                    break;
                }
            }
        } catch (Exception e) {
            log.warn("event stream catch-up for a mailbox failed: {}", e.toString());
            close();
            return;
        }
        List<Summary> live;
        synchronized (this) {
            caughtUp = true;
            sentByCatchUp.addAll(sent);
            live = pending;
            pending = null;
        }
        for (Summary s : live) {
            if (!sent.contains(s.id()) && s.id() > lastEventId) {
                enqueue(event(s));
            }
        }
    }

    @Override
    public void mail(Summary s) {
        synchronized (this) {
            if (!caughtUp) {
                pending.add(s);
                return;
            }
            if (sentByCatchUp.remove(s.id())) {
                return;
            }
        }
        enqueue(event(s));
    }

    /** A comment line: keeps proxies and the idle timeout from closing a quiet stream, and finds dead clients. */
    void keepAlive() {
        enqueue(": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII));
    }

    private byte[] event(Summary s) {
        try {
            return ("id: " + s.id() + "\nevent: message\ndata: " + LINE.writeValueAsString(view.apply(s)) + "\n\n")
                    .getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an event", e);
        }
    }

    private void enqueue(byte[] chunk) {
        boolean overflow;
        synchronized (this) {
            if (closed) {
                return;
            }
            overflow = queue.size() >= MAX_QUEUED_EVENTS;
            if (!overflow) {
                queue.add(chunk);
                if (writing) {
                    return;
                }
                writing = true;
            }
        }
        if (overflow) {
            close();
        } else {
            sender.execute(this::drain);
        }
    }

    private void drain() {
        while (true) {
            byte[] next;
            synchronized (this) {
                next = queue.poll();
                if (next == null || closed) {
                    writing = false;
                    return;
                }
            }
            try {
                out.write(next);
                out.flush();
            } catch (IOException | RuntimeException e) {
                close();
                return;
            }
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            queue.clear();
        }
        events.unsubscribe(mailbox, this);
        onClose.run();
        done.complete(null);
    }
}
