package io.guerrilla.smtpd.bench;

import io.guerrilla.smtpd.mail.MimeHeaderReader;
import io.guerrilla.smtpd.mail.ParsedHeaders;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.ByteArrayInputStream;

/** The columns taken from a typical header section (trace, DKIM, encoded subject, multipart). */
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Thread)
public class HeaderBenchmark {
    private byte[] message;

    @Setup
    public void setup() {
        message = Messages.content(4096);
    }

    @Benchmark
    public ParsedHeaders extract() {
        return MimeHeaderReader.extract(new ByteArrayInputStream(message));
    }
}
