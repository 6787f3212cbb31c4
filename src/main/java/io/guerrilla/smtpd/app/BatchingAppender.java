package io.guerrilla.smtpd.app;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import org.slf4j.event.KeyValuePair;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Hands log lines to one writer thread that wakes on a timer, takes everything queued and writes it
 * with one flush. Logback's AsyncAppender wakes its worker for every line: with a line per message
 * that was a thread wake-up and a write(2) per message, measurable next to the message itself.
 * Lines keep their order and are never dropped: when the queue is full, loggers wait.
 */
final class BatchingAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    /**
     * Lines buffered for the writer: a few seconds of the busiest logging (three lines per connection
     * at thousands of connections a second) before loggers have to wait for the disk.
     */
    static final int QUEUE_SIZE = 8192;
    /** How long a line may wait before it is written: short next to anyone reading the log. */
    static final long MAX_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final OutputStreamAppender<ILoggingEvent> target;
    private final KeyValuePair node;
    private final BlockingQueue<ILoggingEvent> queue = new ArrayBlockingQueue<>(QUEUE_SIZE);
    private volatile boolean stopping;
    private Thread writer;

    /**
     * @param target started, with immediate flush off: this appender flushes once per batch
     * @param node   the node_name every line is tagged with
     */
    BatchingAppender(OutputStreamAppender<ILoggingEvent> target, String node) {
        this.target = target;
        this.node = new KeyValuePair("node", node);
    }

    @Override
    public void start() {
        writer = new Thread(this::run, "log-writer-" + getName());
        writer.setDaemon(true);
        writer.start();
        super.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        // Message formatting and MDC copy happen here, on the logging thread, as in AsyncAppender.
        event.prepareForDeferredProcessing();
        if (event instanceof LoggingEvent e) {
            e.addKeyValuePair(node);
        }
        try {
            queue.put(event);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        List<ILoggingEvent> batch = new ArrayList<>(QUEUE_SIZE);
        while (true) {
            queue.drainTo(batch);
            if (batch.isEmpty()) {
                if (stopping) {
                    return;
                }
                LockSupport.parkNanos(this, MAX_DELAY_NANOS);
                continue;
            }
            for (ILoggingEvent e : batch) {
                target.doAppend(e);
            }
            batch.clear();
            try {
                target.getOutputStream().flush();
            } catch (IOException e) {
                addError("flushing the log", e);
            }
        }
    }

    /** Writes what is queued, then stops the writer and the target. */
    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        stopping = true;
        LockSupport.unpark(writer);
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        target.stop();
    }
}
