package io.guerrilla.smtpd.mailbox;

import io.guerrilla.smtpd.store.MailboxQueries;
import io.guerrilla.smtpd.store.MailboxQueries.Summary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * New mail, as the database says it arrived: one task per process polls {@code new_mail} by a
 * {@code mail_id} cursor and hands each new row to the listeners of its mailbox, however many there
 * are (one query per poll, not one per listener). Mail received by any node of a cluster is seen,
 * as the database is the only source.
 *
 * <p>Ids are handed out before commit, so with several writers a row can become visible after rows
 * with larger ids. Ids skipped over are therefore remembered for {@link #GAP_GRACE_MS} and asked for
 * again each poll; a row that shows up late is delivered then. Listeners must not block: they are
 * called on the poll thread.
 */
public final class MailboxEvents implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MailboxEvents.class);
    /** Rows read per query; a burst larger than this is read over several queries in one poll. */
    static final int POLL_BATCH = 1000;
    /** Most rows one poll reads: a backlog (a reader started on a busy store) is caught up over several polls. */
    static final int MAX_ROWS_PER_POLL = 20_000;
    /**
     * Milliseconds a skipped id is watched for: longer than a store transaction may run (the store
     * timeout, 30 s), so a row committed late is never missed; after that the id was rolled back or deleted.
     */
    static final long GAP_GRACE_MS = 60_000;
    /** Skipped ids watched at once: bounds the re-check query; beyond it the oldest are given up. */
    static final int MAX_GAPS = 1000;

    /** Told of each new row of its mailbox, on the poll thread. */
    public interface Listener {
        void mail(Summary summary);
    }

    private final MailboxQueries queries;
    private final Clock clock;
    private final Map<String, Set<Listener>> listeners = new ConcurrentHashMap<>();
    /** Skipped id to when it was first seen missing. */
    private final LinkedHashMap<Long, Long> gaps = new LinkedHashMap<>();
    private final ScheduledExecutorService poller;
    private volatile long cursor = -1;

    public MailboxEvents(MailboxQueries queries, Clock clock) {
        this.queries = queries;
        this.clock = clock;
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mailbox-events");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts polling every {@code intervalMs}; {@code afterEachPoll} runs on the poll thread (keep-alives). */
    public void start(long intervalMs, Runnable afterEachPoll) {
        poller.scheduleWithFixedDelay(() -> {
            try {
                poll();
            } catch (Exception e) {
                log.warn("new-mail poll failed (retried in {} ms): {}", intervalMs, e.toString());
            }
            afterEachPoll.run();
        }, 0, intervalMs, TimeUnit.MILLISECONDS);
    }

    public void subscribe(String mailbox, Listener l) {
        listeners.computeIfAbsent(mailbox, k -> new CopyOnWriteArraySet<>()).add(l);
    }

    public void unsubscribe(String mailbox, Listener l) {
        listeners.computeIfPresent(mailbox, (k, set) -> {
            set.remove(l);
            return set.isEmpty() ? null : set;
        });
    }

    /** Listeners registered now, over all mailboxes. */
    public int listenerCount() {
        return listeners.values().stream().mapToInt(Set::size).sum();
    }

    /** One poll; the scheduled task calls it, tests may too. */
    void poll() throws Exception {
        if (cursor < 0) {
            // Start at what is there: listeners catch up on older mail with their own query.
            cursor = queries.maxId();
            return;
        }
        List<Summary> fresh = new ArrayList<>();
        if (!gaps.isEmpty()) {
            List<Summary> late = queries.byIds(List.copyOf(gaps.keySet()));
            late.forEach(s -> gaps.remove(s.id()));
            fresh.addAll(late);
        }
        long now = clock.millis();
        int read = 0;
        while (read < MAX_ROWS_PER_POLL) {
            List<Summary> batch = queries.newerInAll(cursor, POLL_BATCH);
            for (Summary s : batch) {
                for (long missing = cursor + 1; missing < s.id() && gaps.size() < MAX_GAPS * 2; missing++) {
                    gaps.put(missing, now);
                }
                cursor = s.id();
            }
            fresh.addAll(batch);
            read += batch.size();
            if (batch.size() < POLL_BATCH) {
                break;
            }
        }
        expireGaps(now);
        fresh.sort(Comparator.comparingLong(Summary::id));
        for (Summary s : fresh) {
            Set<Listener> set = listeners.get(s.to());
            if (set != null) {
                for (Listener l : set) {
                    l.mail(s);
                }
            }
        }
    }

    private void expireGaps(long now) {
        Iterator<Map.Entry<Long, Long>> it = gaps.entrySet().iterator();
        int excess = gaps.size() - MAX_GAPS;
        while (it.hasNext()) {
            Map.Entry<Long, Long> e = it.next();
            if (excess-- > 0 || now - e.getValue() > GAP_GRACE_MS) {
                it.remove();
            }
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
