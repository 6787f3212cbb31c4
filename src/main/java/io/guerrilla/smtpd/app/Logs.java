package io.guerrilla.smtpd.app;

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
 */
public final class Logs {
    /** Key-value pairs (connection id, queue id, ...) follow the message; the trailing blank is trimmed. */
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{20} - "
            + "%replace(%msg %kvp{NONE}){' $', ''}%n%ex";
    private static final AtomicInteger generation = new AtomicInteger();

    private Logs() {
    }

    public static synchronized void configure(GuerrillaConfig config) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        OutputStreamAppender<ILoggingEvent> next = appender(ctx, config.logFile);
        next.setName("guerrilla-" + generation.incrementAndGet());
        next.setEncoder(encoder(ctx, config.logFormat));
        next.start();
        List<Appender<ILoggingEvent>> old = new ArrayList<>();
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            old.add(it.next());
        }
        root.addAppender(next);
        for (Appender<ILoggingEvent> a : old) {
            root.detachAppender(a);
            a.stop();
        }
        ctx.getLogger("io.guerrilla").setLevel(Level.toLevel(config.logLevel, Level.INFO));
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
