package io.guerrilla.smtpd.mailbox;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Excerpts already made, most recently used kept. A stored message never changes and its id is
 * never given to another (AUTOINCREMENT, identity columns), so an excerpt stays right for as long as
 * it is kept; the mailbox is part of the key all the same, so a reused id could never show another
 * address's text. A page polling its mailbox every few seconds then costs one query of summaries
 * instead of reading and parsing each listed body again.
 */
public final class ExcerptCache {
    private final Map<Key, String> entries;

    /** @param maxEntries how many excerpts are kept; the least recently used goes first */
    public ExcerptCache(int maxEntries) {
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, String> eldest) {
                return size() > maxEntries;
            }
        };
    }

    /** The excerpt of message {@code id} of {@code mailbox}, or null when none is kept. */
    public synchronized String get(String mailbox, long id) {
        return entries.get(new Key(mailbox, id));
    }

    public synchronized void put(String mailbox, long id, String excerpt) {
        entries.put(new Key(mailbox, id), excerpt);
    }

    synchronized int size() {
        return entries.size();
    }

    private record Key(String mailbox, long id) {
    }
}
