package io.guerrilla.smtpd.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class SmtpFramerTest {

    /** Collects content as a string, to compare what would be stored. */
    static final class Collect implements BodySink {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        @Override
        public void append(ByteBuf src, int index, int length) {
            byte[] b = new byte[length];
            src.getBytes(index, b);
            out.writeBytes(b);
        }

        @Override
        public void appendCrlf() {
            out.writeBytes(new byte[] {'\r', '\n'});
        }

        String text() {
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static ByteBuf buf(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private final SmtpFramer framer = new SmtpFramer(512, 1000, BareNewlinePolicy.NORMALIZE);

    @Test
    void commandLinesEndOnlyAtCrlf() {
        ByteBuf in = buf("EHLO a\r\nNOOP\r\nQU");
        assertThat(framer.readCommand(in)).isEqualTo(new CommandLine(CommandLine.Kind.LINE, "EHLO a"));
        assertThat(framer.readCommand(in)).isEqualTo(new CommandLine(CommandLine.Kind.LINE, "NOOP"));
        assertThat(framer.readCommand(in)).isNull();
        assertThat(in.readableBytes()).isEqualTo(2);
        in.writeBytes(buf("IT\r\n"));
        assertThat(framer.readCommand(in).text()).isEqualTo("QUIT");
    }

    @Test
    void bareLfDoesNotEndACommand() {
        ByteBuf in = buf("NOOP\nRSET\r\n");
        assertThat(framer.readCommand(in)).isEqualTo(CommandLine.BARE_NEWLINE);
        assertThat(in.isReadable()).isFalse();
        assertThat(framer.readCommand(buf("NO\rOP\r\n"))).isEqualTo(CommandLine.BARE_NEWLINE);
    }

    @Test
    void crlfSplitAcrossReads() {
        ByteBuf in = buf("NOOP\r");
        assertThat(framer.readCommand(in)).isNull();
        in.writeBytes(buf("\n"));
        assertThat(framer.readCommand(in).text()).isEqualTo("NOOP");
    }

    @Test
    void longCommandIsDiscardedWithoutGrowingAndSessionStaysInSync() {
        ByteBuf in = Unpooled.buffer();
        for (int i = 0; i < 2048; i++) {
            in.writeBytes(buf("x".repeat(512)));
            assertThat(framer.readCommand(in)).isNull();
            assertThat(in.readableBytes()).as("discarded as it arrives").isZero();
        }
        in.writeBytes(buf("xx\r"));
        assertThat(framer.readCommand(in)).isNull();
        in.writeBytes(buf("\nNOOP\r\n"));
        assertThat(framer.readCommand(in)).isEqualTo(CommandLine.TOO_LONG);
        assertThat(framer.readCommand(in).text()).isEqualTo("NOOP");
    }

    @Test
    void commandOfExactlyTheLimitIsAccepted() {
        String line = "NOOP " + "a".repeat(512 - 2 - 5);
        assertThat(framer.readCommand(buf(line + "\r\n")).text()).isEqualTo(line);
        assertThat(framer.readCommand(buf(line + "a\r\n"))).isEqualTo(CommandLine.TOO_LONG);
    }

    @Test
    void invalidUtf8Rejected() {
        ByteBuf in = Unpooled.wrappedBuffer(new byte[] {'H', 'E', 'L', 'O', ' ', (byte) 0xC3, (byte) 0x28, '\r', '\n'});
        assertThat(framer.readCommand(in)).isEqualTo(CommandLine.INVALID_UTF8);
        assertThat(framer.readCommand(buf("HELO \u00e9\r\n".replace("\u00e9", "\u00c3\u00a9"))).text()).isEqualTo("HELO \u00e9");
    }

    private String data(SmtpFramer f, String wire, boolean expectEnd) {
        f.startData();
        Collect c = new Collect();
        ByteBuf in = buf(wire);
        assertThat(f.readData(in, c)).isEqualTo(expectEnd);
        return c.text();
    }

    @Test
    void dataEndsAtCrlfDotCrlfAndUnstuffs() {
        ByteBuf in = buf("Subject: x\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n");
        framer.startData();
        Collect c = new Collect();
        assertThat(framer.readData(in, c)).isTrue();
        assertThat(c.text()).isEqualTo("Subject: x\r\n\r\n.leading dot\r\n");
        assertThat(in.toString(StandardCharsets.US_ASCII)).isEqualTo("QUIT\r\n");
    }

    @Test
    void emptyMessage() {
        assertThat(data(framer, ".\r\n", true)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"\n.\n", "\r.\r", "\r.\n", "\n.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r", "\r\n\0.\r\n",
        "\r\n.\r\r\n"})
    void smugglingSequencesDoNotEndData(String seq) {
        String wire = "Subject: a\r\n\r\nbody" + seq + "MAIL FROM:<evil@x>\r\nRCPT TO:<v@example.com>\r\nDATA\r\nsmuggled\r\n";
        assertThat(data(framer, wire, false)).contains("MAIL FROM:<evil@x>");
    }

    @Test
    void byteAtATimeGivesTheSameResult() {
        String wire = "a\r\n..b\r\n.c\r\nd\n.\ne\r\r\n\r\n.\r\nNEXT";
        SmtpFramer f = new SmtpFramer(512, 0, BareNewlinePolicy.NORMALIZE);
        f.startData();
        Collect c = new Collect();
        ByteBuf in = Unpooled.buffer();
        boolean ended = false;
        for (byte b : wire.getBytes(StandardCharsets.ISO_8859_1)) {
            in.writeByte(b);
            if (f.readData(in, c)) {
                ended = true;
                break;
            }
            in.discardReadBytes();
        }
        assertThat(ended).isTrue();
        assertThat(c.text()).isEqualTo("a\r\n.b\r\nc\r\nd\r\n.\r\ne\r\n\r\n\r\n");
    }

    @Test
    void randomSplitsAgreeWithOneRead() {
        Random rnd = new Random(42);
        String alphabet = ".\r\nab\0";
        for (int round = 0; round < 2000; round++) {
            StringBuilder sb = new StringBuilder();
            int n = rnd.nextInt(40);
            for (int i = 0; i < n; i++) {
                sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
            sb.append("\r\n.\r\n");
            String wire = sb.toString();
            SmtpFramer whole = new SmtpFramer(512, 0, BareNewlinePolicy.NORMALIZE);
            whole.startData();
            Collect expected = new Collect();
            ByteBuf all = buf(wire);
            assertThat(whole.readData(all, expected)).isTrue();

            SmtpFramer split = new SmtpFramer(512, 0, BareNewlinePolicy.NORMALIZE);
            split.startData();
            Collect got = new Collect();
            ByteBuf in = Unpooled.buffer();
            byte[] bytes = wire.getBytes(StandardCharsets.ISO_8859_1);
            int pos = 0;
            boolean ended = false;
            while (pos < bytes.length && !ended) {
                int k = 1 + rnd.nextInt(Math.min(5, bytes.length - pos));
                in.writeBytes(bytes, pos, k);
                pos += k;
                ended = split.readData(in, got);
            }
            assertThat(ended).as("ended: %s", wire).isTrue();
            assertThat(got.text()).as("content of %s", wire).isEqualTo(expected.text());
            assertThat(pos - in.readableBytes()).as("consumed of %s", wire).isEqualTo(bytes.length - all.readableBytes());
        }
    }

    @Test
    void bareNewlinesNormalised() {
        assertThat(data(framer, "a\nb\rc\r\n.\r\n", true)).isEqualTo("a\r\nb\r\nc\r\n");
        assertThat(framer.bareNewlineSeen()).isFalse();
    }

    @Test
    void bareNewlinesFlaggedUnderReject() {
        SmtpFramer strict = new SmtpFramer(512, 1000, BareNewlinePolicy.REJECT);
        data(strict, "a\nb\r\n.\r\n", true);
        assertThat(strict.bareNewlineSeen()).isTrue();
        data(strict, "a\r\nb\r\n.\r\n", true);
        assertThat(strict.bareNewlineSeen()).as("reset per message").isFalse();
    }

    @Test
    void longDataLineFlagged() {
        data(framer, "x".repeat(998) + "\r\n.\r\n", true);
        assertThat(framer.lineTooLong()).isFalse();
        data(framer, "x".repeat(999) + "\r\n.\r\n", true);
        assertThat(framer.lineTooLong()).isTrue();
        SmtpFramer unlimited = new SmtpFramer(512, 0, BareNewlinePolicy.NORMALIZE);
        data(unlimited, "x".repeat(100_000) + "\r\n.\r\n", true);
        assertThat(unlimited.lineTooLong()).isFalse();
    }
}
