package io.guerrilla.smtpd.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;
import java.util.function.ToLongFunction;

/**
 * Group commit: one writer thread takes everything that queued up while the previous commit was
 * running and writes it in one transaction, so the cost of a commit (an fsync) is shared by all the
 * messages that waited for it. Latency is not traded for it: nothing waits for a batch to fill
 * unless {@code maxWaitMillis} asks for it. Each item's future completes only after the commit that
 * holds it.
 *
 * <p>A batch is bounded by count and by bytes, so that one transaction of large messages commits well
 * within the store timeout. An item is claimed ({@link SaveClaim#take}) just before its transaction is
 * written; an item its caller gave up on first ({@link SaveClaim#abandon}) is dropped unwritten.
 *
 * <p>If a batch fails, its items are retried one per transaction, so a message that cannot be
 * stored fails alone rather than taking its batch-mates with it; unless the writer says the whole
 * store is unavailable ({@link StoreUnavailableException}), when retrying would only wait again.
 *
 * @param <T> what one item is, e.g. the rows of one message
 */
public final class GroupCommitter<T> implements AutoCloseable {

    /**
     * Writes a batch in one transaction; throwing means the batch must not be acknowledged: nothing of it
     * was committed, or it was committed where it will not be found (an SQLite file removed while open).
     * After throwing, the writer has put its connection in a known state (rolled back, or replaced).
     */
    @FunctionalInterface
    public interface BatchWriter<T> {
        void write(List<T> batch) throws Exception;
    }

    private record Pending<T>(T item, SaveClaim claim, long bytes, CompletableFuture<Void> done) {
    }

    private static final Logger log = LoggerFactory.getLogger(GroupCommitter.class);
    private static final Object POISON = new Object();

    private final BlockingQueue<Object> queue;
    private final BatchWriter<T> writer;
    private final int maxBatch;
    private final long maxBatchBytes;
    private final ToLongFunction<T> bytesOf;
    /** Taken from the queue but left for the next batch, which it would have made too large. */
    private Pending<T> carried;
    private final long maxWaitNanos;
    private final Thread thread;
    private volatile boolean closed;
    private final LongAdder committed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final IntConsumer batchCommitted;

    /**
     * @param queueCapacity  items waiting beyond this are refused at once (the client gets 451 and
     *                       retries) instead of piling up in memory while the store is slow
     * @param maxBatchBytes  a batch takes no more items once their bytes reach this (one item always fits)
     * @param bytesOf        an item's size, as {@code maxBatchBytes} counts it
     * @param batchCommitted told the size of every batch committed in one transaction (for metrics)
     */
    public GroupCommitter(String name, BatchWriter<T> writer, int maxBatch, long maxBatchBytes, ToLongFunction<T> bytesOf,
                          long maxWaitMillis, int queueCapacity, IntConsumer batchCommitted) {
        this.batchCommitted = batchCommitted;
        this.writer = writer;
        this.maxBatch = maxBatch;
        this.maxBatchBytes = maxBatchBytes;
        this.bytesOf = bytesOf;
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(false);
        this.thread.start();
    }

    /**
     * @param claim decides, against the caller's timeout, whether the item is still written; the future
     *              of an item abandoned before it was taken fails with {@link SaveClaim.AbandonedException}
     */
    public CompletableFuture<Void> submit(T item, SaveClaim claim) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (closed || !queue.offer(new Pending<>(item, claim, bytesOf.applyAsLong(item), done))) {
            done.completeExceptionally(new RejectedExecutionException("store queue full or closed"));
        }
        return done;
    }

    private void run() {
        List<Pending<T>> batch = new ArrayList<>(maxBatch);
        boolean stopping = false;
        while (!stopping || carried != null || !queue.isEmpty()) {
            Batch<T> b = new Batch<>(batch);
            if (carried != null) {
                b.add(carried);
                carried = null;
            } else {
                Object first;
                try {
                    first = queue.take();
                } catch (InterruptedException e) {
                    continue;
                }
                if (first == POISON) {
                    stopping = true;
                    continue;
                }
                b.add(pending(first));
            }
            stopping |= fill(b, 0);
            if (maxWaitNanos > 0 && !stopping) {
                stopping = fill(b, System.nanoTime() + maxWaitNanos);
            }
            batch.removeIf(p -> !claimed(p));
            if (!batch.isEmpty()) {
                commit(batch);
            }
            batch.clear();
        }
    }

    /** The items of the batch being gathered, and their bytes. */
    private static final class Batch<T> {
        final List<Pending<T>> items;
        long bytes;

        Batch(List<Pending<T>> items) {
            this.items = items;
        }

        void add(Pending<T> p) {
            items.add(p);
            bytes += p.bytes();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> Pending<T> pending(Object o) {
        return (Pending<T>) o;
    }

    /**
     * Adds queued items while the batch has room: those queued now, or with a {@code deadline}, those that
     * arrive until then. An item that would pass the byte bound is carried to the next batch.
     *
     * @return true when the queue's end (close) was reached
     */
    private boolean fill(Batch<T> b, long deadline) {
        while (b.items.size() < maxBatch && b.bytes < maxBatchBytes) {
            Object next;
            if (deadline == 0) {
                next = queue.poll();
            } else {
                try {
                    next = queue.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    return false;
                }
            }
            if (next == null) {
                return false;
            }
            if (next == POISON) {
                return true;
            }
            Pending<T> p = pending(next);
            if (b.bytes + p.bytes() > maxBatchBytes) {
                carried = p;
                return false;
            }
            b.add(p);
        }
        return false;
    }

    /** Takes the item for the transaction about to be written, unless its caller gave up on it first. */
    private boolean claimed(Pending<T> p) {
        if (p.claim().take()) {
            return true;
        }
        failed.increment();
        p.done().completeExceptionally(new SaveClaim.AbandonedException());
        return false;
    }

    private void commit(List<Pending<T>> batch) {
        List<T> items = new ArrayList<>(batch.size());
        for (Pending<T> p : batch) {
            items.add(p.item());
        }
        try {
            long started = System.nanoTime();
            writer.write(items);
            committed.add(batch.size());
            batches.increment();
            batchCommitted.accept(batch.size());
            // Says whether group commit groups: under load a commit should carry many items.
            log.debug("committed {} in {}us", batch.size(), (System.nanoTime() - started) / 1000);
            for (Pending<T> p : batch) {
                p.done().complete(null);
            }
            return;
        } catch (Exception e) {
            if (batch.size() == 1 || e instanceof StoreUnavailableException) {
                log.warn("store write of {} failed: {}", batch.size(), e.toString());
                failed.add(batch.size());
                batch.forEach(p -> p.done().completeExceptionally(e));
                return;
            }
            log.warn("batch of {} failed ({}), retrying one by one", batch.size(), e.toString());
        }
        for (Pending<T> p : batch) {
            try {
                writer.write(List.of(p.item()));
                committed.increment();
                batches.increment();
                batchCommitted.accept(1);
                p.done().complete(null);
            } catch (Exception e) {
                log.warn("store write failed: {}", e.toString());
                failed.increment();
                p.done().completeExceptionally(e);
            }
        }
    }

    public StoreStats stats() {
        return new StoreStats(committed.sum(), failed.sum(), batches.sum(), queue.size());
    }

    /** Refuses new items, commits those already queued, and waits for the writer to finish. */
    @Override
    public void close() {
        closed = true;
        while (!queue.offer(POISON)) {
            Thread.onSpinWait();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
