package io.guerrilla.smtpd.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Points Logback where the config says (stdout, stderr or a file; text or JSON) at start, on reload
 * and on SIGUSR1. Each call builds a fresh appender, attaches it, and only then detaches the old one,
 * so no line is lost; for a file this also reopens it by name, which is what logrotate needs after
 * it has moved the old file away. Every line carries the config's node_name as the key/value
 * {@code node}, so the lines of several nodes collected in one place say where each came from.
 *
 * <p>The writing happens on a {@link BatchingAppender}'s thread, not on the SMTP event loops that
 * log: a slow disk or a blocked stdout pipe must not stall every session of a loop.
 */
public final class Logs {
    /** The message and its key-value pairs (connection id, queue id, ...), escaped and quoted by {@link LogText}. */
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{20} - %msgkv%n%ex";
    private static final AtomicInteger generation = new AtomicInteger();
    private static BatchingAppender current;

    private Logs() {
    }

    /**
     * @return false when the log output cannot be opened (e.g. an unwritable file); logging then
     *         stays where it was
     */
    public static synchronized boolean configure(GuerrillaConfig config) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        int n = generation.incrementAndGet();
        OutputStreamAppender<ILoggingEvent> target = appender(ctx, config.logFile, encoder(ctx, config.logFormat));
        target.setName("guerrilla-out-" + n);
        target.setImmediateFlush(false);
        target.start();
        if (!target.isStarted()) {
            return false;
        }
        BatchingAppender next = new BatchingAppender(target, config.nodeName);
        next.setContext(ctx);
        next.setName("guerrilla-" + n);
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

    private static OutputStreamAppender<ILoggingEvent> appender(LoggerContext ctx, String logFile,
                                                                Encoder<ILoggingEvent> encoder) {
        String target = logFile.toLowerCase(Locale.ROOT);
        if (target.equals("stdout") || target.equals("stderr")) {
            // Straight to the descriptor through our own buffer: System.out flushes every write, which
            // would undo the batching. Closing the appender (a reload) must not close stdout itself.
            OutputStreamAppender<ILoggingEvent> console = new OutputStreamAppender<>();
            console.setContext(ctx);
            console.setEncoder(encoder);
            FileDescriptor fd = target.equals("stdout") ? FileDescriptor.out : FileDescriptor.err;
            console.setOutputStream(new FilterOutputStream(new BufferedOutputStream(new FileOutputStream(fd), 8192)) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    flush();
                }
            });
            return console;
        }
        FileAppender<ILoggingEvent> file = new FileAppender<>();
        file.setContext(ctx);
        file.setEncoder(encoder);
        file.setFile(logFile);
        file.setAppend(true);
        return file;
    }

    /** The encoder of a {@code log_format}: {@code json} ({@link JsonLines}), else text ({@link LogText}). */
    public static Encoder<ILoggingEvent> encoder(LoggerContext ctx, String format) {
        if ("json".equalsIgnoreCase(format)) {
            JsonLines json = new JsonLines();
            json.setContext(ctx);
            json.start();
            return json;
        }
        PatternLayout layout = new PatternLayout();
        layout.setContext(ctx);
        layout.getInstanceConverterMap().put("msgkv", LogText::new);
        layout.setPattern(TEXT_PATTERN);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> text = new LayoutWrappingEncoder<>();
        text.setContext(ctx);
        text.setLayout(layout);
        text.setCharset(StandardCharsets.UTF_8);
        text.start();
        return text;
    }
}
