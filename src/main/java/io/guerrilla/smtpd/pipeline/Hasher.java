package io.guerrilla.smtpd.pipeline;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;

/**
 * Names each copy with 32 hex digits: the {@code hash} column and the Redis/Memcached key. MD5 is enough,
 * as in go-guerrilla: the hash names a copy, it guards nothing. It covers the queue id and the
 * recipient, so two copies of one message, or one message sent twice, never share a key.
 */
final class Hasher implements Processor {
    /** Cloned per copy: looking MD5 up in the security providers each time cost more than hashing. */
    private static final MessageDigest MD5 = md5();

    @Override
    public boolean runsInline() {
        return true;
    }

    @Override
    public CompletableFuture<Void> process(Message m) {
        byte[] queueId = m.envelope().queueId().getBytes(StandardCharsets.US_ASCII);
        for (Message.Copy c : m.copies()) {
            MessageDigest md = fresh();
            md.update(queueId);
            md.update((byte) 0);
            md.update(c.recipient().toString().getBytes(StandardCharsets.UTF_8));
            c.hash(HexFormat.of().formatHex(md.digest()));
        }
        return CompletableFuture.completedFuture(null);
    }

    private static MessageDigest fresh() {
        try {
            return (MessageDigest) MD5.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the JDK's MD5 is cloneable", e);
        }
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required of every JRE", e);
        }
    }
}
