package io.guerrilla.smtpd.server;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Ticker;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Every clock of one SMTP session: the idle timeout and the minimum data rate. Time is read from the
 * event loop's {@link Ticker} and the checks are scheduled on the same event loop, as Netty 4.2's
 * IdleStateHandler does, so a test on an EmbeddedChannel moves time with {@code advanceTimeBy}
 * instead of sleeping. Runs on the event loop only.
 *
 * <p>The idle timeout counts from what the session waits for ({@link Session#idleFrom()}): between
 * commands from the last complete command, so trickling a command line a byte at a time does not
 * hold a connection; while content arrives from the last byte read; while the server itself works
 * (storing, checking a recipient) not at all. One timer, rescheduled only when it fires.
 */
final class SessionTimers {

    /** What the idle timeout counts from. */
    enum IdleFrom { LAST_COMMAND, LAST_READ, NOTHING }

    /** The session the timers watch; called on the event loop. */
    interface Session {
        IdleFrom idleFrom();

        /** Whether message content (DATA, a BDAT chunk) is being received, which the data rate paces. */
        boolean receivingContent();

        /** Whether the server stopped reading the content itself: that wait is not the client's. */
        boolean contentPaused();

        void idleTimeout();

        void dataRateTooLow(long bytes, Duration window);
    }

    private final EventExecutor executor;
    private final Ticker ticker;
    private final Session session;
    private final long idleNanos;
    private final long minDataRate;
    private final Duration rateWindow;

    private long lastCommand;
    private long lastRead;
    private long bytesThisWindow;
    private ScheduledFuture<?> idleCheck;
    private ScheduledFuture<?> rateCheck;

    SessionTimers(EventExecutor executor, Session session, Duration idleTimeout, long minDataRate,
                  Duration rateWindow) {
        this.executor = executor;
        this.ticker = executor.ticker();
        this.session = session;
        this.idleNanos = idleTimeout.toNanos();
        this.minDataRate = minDataRate;
        this.rateWindow = rateWindow;
    }

    /** Starts the idle timeout, counting from now. */
    void start() {
        lastCommand = ticker.nanoTime();
        lastRead = lastCommand;
        scheduleIdleCheck(idleNanos);
    }

    /** A complete command (or the end of content, or the reply to it): the idle timeout restarts. */
    void commandDone() {
        lastCommand = ticker.nanoTime();
    }

    void read(int bytes) {
        lastRead = ticker.nanoTime();
        bytesThisWindow += bytes;
    }

    /**
     * Content starts: each window from now on must bring min_data_rate × window bytes. The first
     * check comes a full window after the content starts, which is the grace period. A check already
     * running (the next BDAT chunk) goes on.
     */
    void contentStarted() {
        if (minDataRate <= 0 || rateCheck != null) {
            return;
        }
        long window = rateWindow.toNanos();
        bytesThisWindow = 0;
        rateCheck = executor.scheduleAtFixedRate(this::checkDataRate, window, window, TimeUnit.NANOSECONDS);
    }

    void stop() {
        stopDataRateCheck();
        if (idleCheck != null) {
            idleCheck.cancel(false);
            idleCheck = null;
        }
    }

    private void scheduleIdleCheck(long delayNanos) {
        idleCheck = executor.schedule(this::checkIdle, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void checkIdle() {
        long left = switch (session.idleFrom()) {
            case LAST_COMMAND -> lastCommand + idleNanos - ticker.nanoTime();
            case LAST_READ -> lastRead + idleNanos - ticker.nanoTime();
            case NOTHING -> idleNanos;
        };
        if (left > 0) {
            scheduleIdleCheck(left);
            return;
        }
        idleCheck = null;
        session.idleTimeout();
    }

    private void checkDataRate() {
        if (!session.receivingContent()) {
            stopDataRateCheck();
            return;
        }
        if (session.contentPaused()) {
            bytesThisWindow = 0;
            return;
        }
        if (bytesThisWindow < minDataRate * rateWindow.toSeconds()) {
            stopDataRateCheck();
            session.dataRateTooLow(bytesThisWindow, rateWindow);
            return;
        }
        bytesThisWindow = 0;
    }

    private void stopDataRateCheck() {
        if (rateCheck != null) {
            rateCheck.cancel(false);
            rateCheck = null;
        }
    }
}
