package io.guerrilla.smtpd.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every line from many threads reaches the output, each thread's in order, including those queued at
 * stop; each carries the node_name.
 */
class BatchingAppenderTest {

    @Test
    void noLineLostOrReorderedAcrossThreadsAndStop() throws Exception {
        LoggerContext ctx = new LoggerContext();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OutputStreamAppender<ILoggingEvent> target = target(ctx, "%msg%n", out);
        BatchingAppender appender = new BatchingAppender(target, "node-t");
        appender.setContext(ctx);
        appender.start();
        Logger log = ctx.getLogger("test");
        log.setLevel(Level.INFO);
        log.addAppender(appender);

        int threads = 8;
        int lines = 5_000; // 40,000 in all: more than the queue holds, so loggers also wait for the writer
        List<Thread> loggers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < lines; i++) {
                    log.info("t{} {}", id, i);
                }
            });
            loggers.add(th);
            th.start();
        }
        for (Thread th : loggers) {
            th.join();
        }
        appender.stop();

        String[] written = out.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(written).hasSize(threads * lines);
        Map<String, Integer> next = new HashMap<>();
        for (String line : written) {
            String[] parts = line.split(" ");
            int expected = next.getOrDefault(parts[0], 0);
            assertThat(Integer.parseInt(parts[1])).as("order of %s", parts[0]).isEqualTo(expected);
            next.put(parts[0], expected + 1);
        }
        assertThat(target.isStarted()).as("stopping the batcher stops its output").isFalse();
    }

    @Test
    void everyLineCarriesTheNode() {
        LoggerContext ctx = new LoggerContext();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BatchingAppender appender = new BatchingAppender(target(ctx, null, out), "edge-2");
        appender.setContext(ctx);
        appender.start();
        Logger log = ctx.getLogger("test");
        log.setLevel(Level.INFO);
        log.addAppender(appender);

        log.info("serving, pid {}", 42);
        log.atInfo().setMessage("message stored").addKeyValue("queue_id", "Q1").addKeyValue("conn", "c1").log();
        appender.stop();

        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).endsWith("- serving, pid 42 node=edge-2");
        assertThat(lines[1]).endsWith("- message stored queue_id=Q1 conn=c1 node=edge-2");
    }

    /**
     * A started output as {@link Logs} makes one (no flush per line), writing into {@code out} through
     * {@code pattern}, or through the text log_format's encoder when it is null.
     */
    private static OutputStreamAppender<ILoggingEvent> target(LoggerContext ctx, String pattern, ByteArrayOutputStream out) {
        ctx.setMDCAdapter(new LogbackMDCAdapter());
        Encoder<ILoggingEvent> encoder;
        if (pattern == null) {
            encoder = Logs.encoder(ctx, "text");
        } else {
            PatternLayoutEncoder p = new PatternLayoutEncoder();
            p.setContext(ctx);
            p.setPattern(pattern);
            p.start();
            encoder = p;
        }
        OutputStreamAppender<ILoggingEvent> target = new OutputStreamAppender<>();
        target.setContext(ctx);
        target.setEncoder(encoder);
        target.setOutputStream(out);
        target.setImmediateFlush(false);
        target.start();
        return target;
    }
}
