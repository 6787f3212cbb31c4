package io.guerrilla.smtpd.mailbox;

import io.guerrilla.smtpd.store.KeyValueBodies;
import io.guerrilla.smtpd.store.MailboxQueries.Stored;
import io.guerrilla.smtpd.store.StoreUnavailableException;
import io.guerrilla.smtpd.store.StoredBodies;

import java.io.IOException;

/**
 * A stored message's bytes exactly as received (with the trace headers the server added), wherever
 * the row says they are: in the row (raw, zlib or gzip) or in Redis/Memcached under the row's hash.
 */
public final class RawMessages {
    private final KeyValueBodies keyValue;

    public RawMessages(KeyValueBodies keyValue) {
        this.keyValue = keyValue;
    }

    /** Thrown when the row exists but its body no longer does (a Redis/Memcached TTL passed). */
    public static final class BodyGone extends Exception {
        public BodyGone(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * @throws BodyGone when the body has expired from Redis/Memcached
     * @throws StoreUnavailableException when Redis/Memcached cannot be asked now
     * @throws IOException when a compressed row does not decompress
     */
    public byte[] load(Stored m) throws BodyGone, StoreUnavailableException, IOException {
        String body = m.body();
        byte[] stored = m.stored();
        if ((KeyValueBodies.REDIS.equals(body) || KeyValueBodies.MEMCACHED.equals(body)) && stored.length == 0) {
            stored = keyValue.fetch(body, m.hash());
            if (stored == null) {
                throw new BodyGone("the body of message " + m.summary().id() + " has expired from " + body);
            }
        }
        return StoredBodies.decode(body, stored);
    }
}
