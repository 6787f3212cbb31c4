package io.guerrilla.smtpd.bench;

import io.guerrilla.smtpd.smtp.AddressException;
import io.guerrilla.smtpd.smtp.AddressParser;
import io.guerrilla.smtpd.smtp.PathArgument;
import io.guerrilla.smtpd.smtp.SmtpCommand;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Command line to verb and argument, then the path and parameters, as for every MAIL and RCPT. */
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Thread)
public class CommandBenchmark {
    public String mail = "MAIL FROM:<sender.name@mail-relay.example.net> SIZE=102400 BODY=8BITMIME";
    public String rcpt = "RCPT TO:<alice.smith@example.com>";
    public String ehlo = "EHLO mail-relay.example.net";

    @Benchmark
    public PathArgument mailFrom() throws AddressException {
        return AddressParser.parseMailFrom(SmtpCommand.parse(mail).argument());
    }

    @Benchmark
    public PathArgument rcptTo() throws AddressException {
        return AddressParser.parseRcptTo(SmtpCommand.parse(rcpt).argument());
    }

    @Benchmark
    public SmtpCommand ehlo() {
        return SmtpCommand.parse(ehlo);
    }
}
