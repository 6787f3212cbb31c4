package io.guerrilla.smtpd.bench;

import io.guerrilla.smtpd.codec.BareNewlinePolicy;
import io.guerrilla.smtpd.codec.BodySink;
import io.guerrilla.smtpd.codec.SmtpFramer;
import io.guerrilla.smtpd.mail.MessageBody;
import io.netty.buffer.ByteBuf;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.file.Path;

/**
 * DATA framing: CRLF.CRLF search and dot-unstuffing, alone (a sink that only counts) and into a
 * {@link MessageBody} as the server does. The {@code bytes} counter is wire octets per second.
 */
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Thread)
public class FramerBenchmark {
    @Param({"4096", "102400"})
    public int size;

    private ByteBuf wire;
    private final SmtpFramer framer = new SmtpFramer(512, 1000, BareNewlinePolicy.NORMALIZE);

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    private static final class CountingSink implements BodySink {
        long octets;

        @Override
        public void append(ByteBuf src, int index, int length) {
            octets += length;
        }

        @Override
        public void appendCrlf() {
            octets += 2;
        }
    }

    @Setup
    public void setup() {
        wire = Unpooled.directBuffer().writeBytes(Messages.wire(Messages.content(size)));
    }

    @Benchmark
    public long unstuffOnly(Bytes counter) {
        CountingSink sink = new CountingSink();
        wire.readerIndex(0);
        framer.startData();
        if (!framer.readData(wire, sink)) {
            throw new IllegalStateException("end of data not found");
        }
        counter.bytes += wire.writerIndex();
        return sink.octets;
    }

    @Benchmark
    public void intoMessageBody(Bytes counter, Blackhole bh) {
        MessageBody body = new MessageBody(ByteBufAllocator.DEFAULT, 1L << 30, 1 << 20, Path.of("/tmp"));
        wire.readerIndex(0);
        framer.startData();
        framer.readData(wire, body);
        counter.bytes += wire.writerIndex();
        bh.consume(body.size());
        body.release();
    }
}
