package io.guerrilla.smtpd.app;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Points Logback where the config says (stdout, stderr or a file; text or JSON) at start, on reload
 * and on SIGUSR1. Each call builds a fresh appender, attaches it, and only then detaches the old one,
 * so no line is lost; for a file this also reopens it by name, which is what logrotate needs after
 * it has moved the old file away.
 *
 * <p>The writing happens on Logback's async worker, not on the SMTP event loops that log: a slow
 * disk or a blocked stdout pipe must not stall every session of a loop.
 */
public final class Logs {
    /** Key-value pairs (connection id, queue id, ...) follow the message; the trailing blank is trimmed. */
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{20} - "
            + "%replace(%msg %kvp{NONE}){' $', ''}%n%ex";
    /**
     * Log events buffered for the writer thread: a few seconds of the busiest logging (three lines
     * per connection at thousands of connections a second). When full, loggers wait rather than
     * lose lines, so an operator's record stays complete.
     */
    static final int ASYNC_QUEUE_SIZE = 8192;
    private static final AtomicInteger generation = new AtomicInteger();
    private static AsyncAppender current;

    private Logs() {
    }

    /**
     * @return false when the log output cannot be opened (e.g. an unwritable file); logging then
     *         stays where it was
     */
    public static synchronized boolean configure(GuerrillaConfig config) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        OutputStreamAppender<ILoggingEvent> target = appender(ctx, config.logFile);
        int n = generation.incrementAndGet();
        target.setName("guerrilla-out-" + n);
        target.setEncoder(encoder(ctx, config.logFormat));
        target.start();
        if (!target.isStarted()) {
            return false;
        }
        AsyncAppender next = new AsyncAppender();
        next.setContext(ctx);
        next.setName("guerrilla-" + n);
        next.setQueueSize(ASYNC_QUEUE_SIZE);
        next.setDiscardingThreshold(0);
        next.addAppender(target);
        next.start();
        List<Appender<ILoggingEvent>> old = new ArrayList<>();
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            old.add(it.next());
        }
        root.addAppender(next);
        current = next;
        for (Appender<ILoggingEvent> a : old) {
            root.detachAppender(a);
            a.stop();
        }
        ctx.getLogger("io.guerrilla").setLevel(Level.toLevel(config.logLevel, Level.INFO));
        return true;
    }

    /** Writes out what is still queued and closes the output; call last before the process exits. */
    public static synchronized void flush() {
        if (current != null) {
            LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
            ctx.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(current);
            current.stop();
            current = null;
        }
    }

    private static OutputStreamAppender<ILoggingEvent> appender(LoggerContext ctx, String logFile) {
        String target = logFile.toLowerCase(Locale.ROOT);
        if (target.equals("stdout") || target.equals("stderr")) {
            ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
            console.setContext(ctx);
            console.setTarget(target.equals("stdout") ? "System.out" : "System.err");
            return console;
        }
        FileAppender<ILoggingEvent> file = new FileAppender<>();
        file.setContext(ctx);
        file.setFile(logFile);
        file.setAppend(true);
        return file;
    }

    private static Encoder<ILoggingEvent> encoder(LoggerContext ctx, String format) {
        if ("json".equalsIgnoreCase(format)) {
            JsonEncoder json = new JsonEncoder();
            json.setContext(ctx);
            json.start();
            return json;
        }
        PatternLayoutEncoder text = new PatternLayoutEncoder();
        text.setContext(ctx);
        text.setPattern(TEXT_PATTERN);
        text.start();
        return text;
    }
}
