package io.guerrilla.smtpd.bench;

import io.guerrilla.smtpd.config.SqliteSync;
import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.mail.MessageBody;
import io.guerrilla.smtpd.mail.QueueIds;
import io.guerrilla.smtpd.pipeline.Pipeline;
import io.guerrilla.smtpd.pipeline.PipelineSettings;
import io.guerrilla.smtpd.smtp.MailAddress;
import io.guerrilla.smtpd.store.SaveClaim;
import io.guerrilla.smtpd.store.SqlStore;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The store's write path as the server runs it: the default save_process (HeadersParser, Header,
 * Hasher, SQL) over the SQLite group commit, for {@code concurrency} messages in flight at once (as
 * many sessions waiting for their 250). The {@code messages} counter is committed messages per second.
 */
@Fork(1)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@State(Scope.Benchmark)
public class StoreBenchmark {
    @Param({"1", "50"})
    public int concurrency;
    @Param({"FULL", "NORMAL"})
    public String synchronous;
    @Param({"4096"})
    public int size;

    private Path dir;
    private ExecutorService processing;
    private SqlStore store;
    private Pipeline pipeline;
    private byte[] content;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Messages {
        public long messages;

        @Setup(Level.Iteration)
        public void reset() {
            messages = 0;
        }
    }

    @Setup
    public void open() throws Exception {
        dir = Files.createTempDirectory("store-bench");
        processing = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        StoreConfig config = new StoreConfig();
        config.path = dir.resolve("bench.db").toString();
        config.synchronous = SqliteSync.valueOf(synchronous);
        store = new SqlStore(config);
        store.open();
        pipeline = Pipeline.create(PipelineSettings.from(config), store, processing);
        content = io.guerrilla.smtpd.bench.Messages.content(size);
    }

    @TearDown
    public void close() throws IOException {
        pipeline.close();
        store.close();
        processing.shutdown();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    private Envelope envelope() {
        MessageBody body = new MessageBody(ByteBufAllocator.DEFAULT, 1L << 30, 1 << 20, dir);
        body.append(Unpooled.wrappedBuffer(content), 0, content.length);
        return new Envelope(QueueIds.next(), Instant.now(), "mx.example.com", "node-1", "192.0.2.10", "relay.example.net",
                "ESMTP", false, new MailAddress("sender", "example.net"), List.of(new MailAddress("alice", "example.com")),
                body);
    }

    @Benchmark
    public void save(Messages counter) {
        CompletableFuture<?>[] saved = new CompletableFuture<?>[concurrency];
        for (int i = 0; i < concurrency; i++) {
            saved[i] = pipeline.save(envelope(), new SaveClaim());
        }
        CompletableFuture.allOf(saved).join();
        counter.messages += concurrency;
    }
}
