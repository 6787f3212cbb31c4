package io.guerrilla.smtpd.support;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import io.guerrilla.smtpd.app.Logs;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The text lines one logger writes while a test runs, encoded exactly as {@code guerrillad serve}
 * writes them ({@link Logs#encoder}), for tests that read what an operator would read.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private LogCapture(Class<?> source, String format) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        logger = ctx.getLogger(source);
        appender.setContext(ctx);
        appender.setName("capture-" + System.identityHashCode(this));
        appender.setEncoder(Logs.encoder(ctx, format));
        appender.setOutputStream(out);
        appender.start();
        logger.addAppender(appender);
    }

    /** Captures the text lines of {@code source}'s logger until closed. */
    public static LogCapture of(Class<?> source) {
        return new LogCapture(source, "text");
    }

    /** Every line written so far. */
    public List<String> lines() {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8).lines().toList();
        }
    }

    /** The lines whose message (the text after the logger name) starts with {@code message}. */
    public List<String> withMessage(String message) {
        return lines().stream().filter(l -> l.contains(" - " + message + " ") || l.endsWith(" - " + message)).toList();
    }

    /** Waits (bounded) until {@code count} lines match, for lines logged on an event loop after the reply. */
    public List<String> await(String message, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (withMessage(message).size() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        List<String> found = withMessage(message);
        if (found.size() < count) {
            throw new AssertionError("expected " + count + " \"" + message + "\" lines in " + lines());
        }
        return found;
    }

    /** The key-value fields of a text line, read as a logfmt reader reads them (quoted values unescaped). */
    public static Map<String, String> fields(String line) {
        String s = line.substring(line.indexOf(" - ") + 3);
        Map<String, String> out = new LinkedHashMap<>();
        int i = s.indexOf('=') < 0 ? s.length() : s.lastIndexOf(' ', s.indexOf('=')) + 1;
        while (i < s.length()) {
            int eq = s.indexOf('=', i);
            String key = s.substring(i, eq);
            StringBuilder v = new StringBuilder();
            i = eq + 1;
            if (i < s.length() && s.charAt(i) == '"') {
                for (i++; s.charAt(i) != '"'; i++) {
                    v.append(s.charAt(i) == '\\' ? unescape(s.charAt(++i)) : s.charAt(i));
                }
                i++;
            } else {
                while (i < s.length() && s.charAt(i) != ' ') {
                    v.append(s.charAt(i++));
                }
            }
            out.put(key, v.toString());
            i++;
        }
        return out;
    }

    private static char unescape(char c) {
        return switch (c) {
            case 'r' -> '\r';
            case 'n' -> '\n';
            case 't' -> '\t';
            default -> c;
        };
    }

    /** Whether some line matches. */
    public boolean any(Predicate<String> test) {
        return lines().stream().anyMatch(test);
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
