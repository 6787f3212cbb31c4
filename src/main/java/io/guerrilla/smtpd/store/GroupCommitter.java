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

/**
 * Group commit: one writer thread takes everything that queued up while the previous commit was
 * running and writes it in one transaction, so the cost of a commit (an fsync) is shared by all the
 * messages that waited for it. Latency is not traded for it: nothing waits for a batch to fill
 * unless {@code maxWaitMillis} asks for it. Each item's future completes only after the commit that
 * holds it.
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

    private record Pending<T>(T item, CompletableFuture<Void> done) {
    }

    private static final Logger log = LoggerFactory.getLogger(GroupCommitter.class);
    private static final Object POISON = new Object();

    private final BlockingQueue<Object> queue;
    private final BatchWriter<T> writer;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final Thread thread;
    private volatile boolean closed;
    private final LongAdder committed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final IntConsumer batchCommitted;

    /**
     * @param queueCapacity items waiting beyond this are refused at once (the client gets 451 and
     *                      retries) instead of piling up in memory while the store is slow
     */
    public GroupCommitter(String name, BatchWriter<T> writer, int maxBatch, long maxWaitMillis, int queueCapacity) {
        this(name, writer, maxBatch, maxWaitMillis, queueCapacity, n -> { });
    }

    /** @param batchCommitted told the size of every batch committed in one transaction (for metrics) */
    public GroupCommitter(String name, BatchWriter<T> writer, int maxBatch, long maxWaitMillis, int queueCapacity,
                          IntConsumer batchCommitted) {
        this.batchCommitted = batchCommitted;
        this.writer = writer;
        this.maxBatch = maxBatch;
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(false);
        this.thread.start();
    }

    public CompletableFuture<Void> submit(T item) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (closed || !queue.offer(new Pending<>(item, done))) {
            done.completeExceptionally(new RejectedExecutionException("store queue full or closed"));
        }
        return done;
    }

    @SuppressWarnings("unchecked")
    private void run() {
        List<Pending<T>> batch = new ArrayList<>(maxBatch);
        List<T> items = new ArrayList<>(maxBatch);
        boolean stopping = false;
        while (!stopping || !queue.isEmpty()) {
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
            batch.add((Pending<T>) first);
            stopping |= drain(batch);
            if (maxWaitNanos > 0 && batch.size() < maxBatch && !stopping) {
                long deadline = System.nanoTime() + maxWaitNanos;
                while (batch.size() < maxBatch && System.nanoTime() < deadline) {
                    try {
                        Object next = queue.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                        if (next == null) {
                            break;
                        }
                        if (next == POISON) {
                            stopping = true;
                            break;
                        }
                        batch.add((Pending<T>) next);
                    } catch (InterruptedException e) {
                        break;
                    }
                }
            }
            for (Pending<T> p : batch) {
                items.add(p.item());
            }
            commit(batch, items);
            batch.clear();
            items.clear();
        }
    }

    @SuppressWarnings("unchecked")
    private boolean drain(List<Pending<T>> batch) {
        while (batch.size() < maxBatch) {
            Object next = queue.poll();
            if (next == null) {
                return false;
            }
            if (next == POISON) {
                return true;
            }
            batch.add((Pending<T>) next);
        }
        return false;
    }

    private void commit(List<Pending<T>> batch, List<T> items) {
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
