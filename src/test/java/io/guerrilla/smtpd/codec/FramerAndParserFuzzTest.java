package io.guerrilla.smtpd.codec;

import io.guerrilla.smtpd.smtp.Action;
import io.guerrilla.smtpd.smtp.AllowedHosts;
import io.guerrilla.smtpd.smtp.DataResult;
import io.guerrilla.smtpd.smtp.Outcome;
import io.guerrilla.smtpd.smtp.Reply;
import io.guerrilla.smtpd.smtp.SessionPolicy;
import io.guerrilla.smtpd.smtp.SessionStateMachine;
import io.guerrilla.smtpd.smtp.SmtpCommand;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bounded, seeded random fuzz test of the framer and the command parser (Jazzer is not available
 * to this build offline, so this runs under plain {@code mvn test}, the same inputs every run).
 * Inputs are built from SMTP-shaped tokens (line ends in every combination, dots, NUL, command words,
 * address syntax, UTF-8, invalid bytes) plus raw random bytes, then fed in random splits. 200 000
 * inputs in all; each test checks invariants rather than exact outputs.
 */
class FramerAndParserFuzzTest {
    private static final long SEED = 0x5EED_2026L;
    private static final int MAX_COMMAND = 512;
    private static final Pattern REPLY_LINE = Pattern.compile("[2-5]\\d\\d[ -][^\r\n]*");

    private static final String[] TOKENS = {
        "\r", "\n", "\r\n", ".", "..", "\r\n.\r\n", "\r\n.", ".\r\n", "\0", " ", "\t", "<", ">", "@", ":", "\"", "\\",
        "[", "]", "IPv6:", "::1", "127.0.0.1", "MAIL FROM:", "RCPT TO:", "DATA", "BDAT ", " LAST", "EHLO ", "HELO ",
        "RSET", "NOOP", "QUIT", "VRFY ", "HELP", "STARTTLS", "SIZE=", "BODY=8BITMIME", "BODY=BINARYMIME", "SMTPUTF8",
        "postmaster", "example.com", "a", "Z", "0", "99999999999999999999", "ü", "пример", "\u00ff", "✓",
    };
    /** Line starts that take the state machine past greeting, into transactions and BDAT. */
    private static final String[] VERBS = {"EHLO c.test", "HELO c.test", "MAIL FROM:<a@b.test>", "MAIL FROM:<", "RCPT TO:<x@example.com>",
        "RCPT TO:<", "DATA", "BDAT ", "BDAT 10", "BDAT 0 LAST", "RSET", "MAIL FROM:<a@b.test> SMTPUTF8 ", "RCPT TO:<ü@"};
    private static final byte[][] RAW = {{(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xC0, (byte) 0xBC}, {0x16, 0x03, 0x01},
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {0x1B}, {0x7F}};

    private static byte[] input(Random rnd, int maxTokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int n = rnd.nextInt(maxTokens);
        for (int i = 0; i < n; i++) {
            int pick = rnd.nextInt(100);
            if (pick < 80) {
                out.writeBytes(TOKENS[rnd.nextInt(TOKENS.length)].getBytes(StandardCharsets.UTF_8));
            } else if (pick < 85) {
                out.writeBytes(RAW[rnd.nextInt(RAW.length)]);
            } else if (pick < 95) {
                byte[] b = new byte[1 + rnd.nextInt(8)];
                rnd.nextBytes(b);
                out.writeBytes(b);
            } else {
                out.writeBytes("x".repeat(rnd.nextInt(700)).getBytes(StandardCharsets.US_ASCII));
            }
        }
        return out.toByteArray();
    }

    /** Feeds {@code bytes} to the framer in command mode in random pieces; returns the kinds seen. */
    private static List<CommandLine> commands(byte[] bytes, Random rnd, boolean split) {
        SmtpFramer f = new SmtpFramer(MAX_COMMAND, 1000, BareNewlinePolicy.NORMALIZE);
        ByteBuf in = Unpooled.buffer();
        List<CommandLine> out = new ArrayList<>();
        int pos = 0;
        while (pos < bytes.length) {
            int k = split ? 1 + rnd.nextInt(Math.min(64, bytes.length - pos)) : bytes.length;
            in.writeBytes(bytes, pos, k);
            pos += k;
            CommandLine line;
            while ((line = f.readCommand(in)) != null) {
                out.add(line);
                if (line.kind() == CommandLine.Kind.LINE) {
                    assertThat(line.text()).doesNotContain("\r", "\n");
                    assertThat(line.text().getBytes(StandardCharsets.UTF_8).length + 2).isLessThanOrEqualTo(MAX_COMMAND);
                }
            }
            assertThat(in.readableBytes()).as("partial line kept below the limit").isLessThan(MAX_COMMAND);
            in.discardReadBytes();
        }
        in.release();
        return out;
    }

    @Test
    void framerCommandModeIsBoundedAndSplitIndependent() {
        Random rnd = new Random(SEED);
        for (int i = 0; i < 60_000; i++) {
            byte[] bytes = input(rnd, 30);
            List<CommandLine> whole = commands(bytes, rnd, false);
            List<CommandLine> split = commands(bytes, rnd, true);
            if (whole.stream().noneMatch(l -> l.kind() == CommandLine.Kind.BINARY)) {
                // Binary input ends the connection, so only what came before it must agree.
                assertThat(split).as("input %s", i).isEqualTo(whole);
            }
        }
    }

    private static int expectedEnd(byte[] bytes) {
        String s = "\r\n" + new String(bytes, StandardCharsets.ISO_8859_1);
        int at = s.indexOf("\r\n.\r\n");
        return at < 0 ? -1 : at + 5 - 2;
    }

    @Test
    void dataEndsExactlyAtTheFirstCrlfDotCrlf() {
        Random rnd = new Random(SEED + 1);
        for (int i = 0; i < 80_000; i++) {
            byte[] bytes = input(rnd, 40);
            BareNewlinePolicy policy = rnd.nextBoolean() ? BareNewlinePolicy.NORMALIZE : BareNewlinePolicy.REJECT;
            SmtpFramer f = new SmtpFramer(MAX_COMMAND, rnd.nextBoolean() ? 1000 : 0, policy);
            f.startData();
            SmtpFramerTest.Collect sink = new SmtpFramerTest.Collect();
            ByteBuf in = Unpooled.buffer();
            int pos = 0;
            boolean ended = false;
            while (pos < bytes.length && !ended) {
                int k = 1 + rnd.nextInt(Math.min(32, bytes.length - pos));
                in.writeBytes(bytes, pos, k);
                pos += k;
                ended = f.readData(in, sink);
                assertThat(in.readableBytes()).as("framer holds back at most a '.' and CR").isLessThanOrEqualTo(2 + (ended ? bytes.length : 0));
                in.discardReadBytes();
            }
            int end = expectedEnd(bytes);
            assertThat(ended).as("input %s: %s", i, new String(bytes, StandardCharsets.ISO_8859_1)).isEqualTo(end >= 0);
            if (ended) {
                assertThat(pos - in.readableBytes()).as("consumed up to the end-of-data line").isEqualTo(end);
            }
            if (policy == BareNewlinePolicy.NORMALIZE) {
                assertThat(sink.text().replace("\r\n", "")).as("only CRLF pairs are stored").doesNotContain("\r", "\n");
            }
            in.release();
        }
    }

    private static void checkReply(Reply r, String input) {
        for (String line : new String(r.wire(), StandardCharsets.UTF_8).split("\r\n")) {
            assertThat(line).as("reply to %s", input).matches(REPLY_LINE);
        }
    }

    @Test
    void commandParserAndStateMachineNeverThrowAndAlwaysReplyWithACode() {
        Random rnd = new Random(SEED + 2);
        SessionPolicy policy = new SessionPolicy("mx.fuzz", new AllowedHosts(List.of("example.com", "*.example.org")),
                10_000, 5, 1_000_000, 1_000_000);
        SessionStateMachine m = new SessionStateMachine(policy);
        int stores = 0;
        int chunks = 0;
        for (int i = 0; i < 60_000; i++) {
            byte[] bytes = input(rnd, 12);
            String verb = VERBS[rnd.nextInt(VERBS.length)];
            String junk = new String(bytes, StandardCharsets.UTF_8).replace("\r", "").replace("\n", "");
            String line = switch (rnd.nextInt(3)) {
                case 0 -> verb;
                case 1 -> verb + junk;
                default -> junk;
            };
            Outcome o = m.handle(SmtpCommand.parse(line));
            if (o.reply() != null) {
                checkReply(o.reply(), line);
            }
            if (o.action() == Action.START_DATA) {
                o = m.endOfData(new DataResult(rnd.nextInt(20_000), rnd.nextInt(4) == 0, rnd.nextInt(4) == 0, false));
            } else if (o.action() == Action.READ_CHUNK) {
                chunks++;
                long size = m.chunkSize();
                o = m.endOfChunk(new DataResult(size, size > 10_000, false, false));
            }
            if (o.reply() != null) {
                checkReply(o.reply(), line);
            }
            if (o.action() == Action.STORE) {
                stores++;
                checkReply(m.stored(rnd.nextBoolean(), "ID").reply(), line);
            }
            if (o.action() == Action.CLOSE || m.state() == SessionStateMachine.State.CLOSED) {
                m = new SessionStateMachine(policy);
            }
        }
        assertThat(stores).as("the fuzzer reaches whole transactions").isGreaterThan(30);
        assertThat(chunks).as("the fuzzer reaches BDAT").isGreaterThan(100);
    }
}
