package io.guerrilla.smtpd.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.ByteProcessor;

import java.nio.charset.StandardCharsets;

/**
 * Splits the inbound byte stream of one connection into command lines and message content.
 *
 * <p>Framing is strict in both modes: only CRLF ends a command line, and only CRLF.CRLF (where the
 * first CRLF is a real line end) ends message content. A bare CR or LF never ends anything, so a
 * second transaction cannot be smuggled behind a lenient reading of line ends (CVE-2023-51764,
 * CVE-2023-51765, CVE-2023-51766). Memory is bounded: an over-long command line is discarded as it
 * arrives, and content is handed to a {@link BodySink} as it is read.
 *
 * <p>The framer consumes from a caller-owned buffer and keeps no buffer of its own, so an idle
 * connection holds none. It is not thread-safe; each connection has its own.
 */
public final class SmtpFramer {
    private final int maxCommandLine;
    private final int maxDataLine;
    private final BareNewlinePolicy bareNewlinePolicy;

    private boolean discardingCommand;
    private boolean discardEndedWithCr;

    private boolean atLineStart;
    private boolean lineStartFollowsCrlf;
    private long lineLength;
    private boolean bareNewlineSeen;
    private boolean lineTooLong;

    private long chunkRemaining;

    /** Stops at a byte no text line holds: C0 controls other than HT, CR and LF, and DEL. */
    private static final ByteProcessor FIND_BINARY =
            b -> !((b >= 0 && b < 0x20 && b != '\t' && b != '\r' && b != '\n') || b == 0x7f);

    /**
     * @param maxCommandLine longest command line in octets including CRLF
     * @param maxDataLine    longest content line in octets including CRLF; 0 for no limit
     */
    public SmtpFramer(int maxCommandLine, int maxDataLine, BareNewlinePolicy bareNewlinePolicy) {
        this.maxCommandLine = maxCommandLine;
        this.maxDataLine = maxDataLine;
        this.bareNewlinePolicy = bareNewlinePolicy;
    }

    /**
     * Reads one command line from {@code in}, or returns null when {@code in} holds no complete line
     * yet (the partial line stays in {@code in}, unless it is already too long, in which case it is
     * consumed and the rest is skipped up to the next CRLF).
     */
    public CommandLine readCommand(ByteBuf in) {
        int r = in.readerIndex();
        int w = in.writerIndex();
        if (discardingCommand) {
            int end = findCrlf(in, r, w, discardEndedWithCr);
            if (isBinary(in, r, end < 0 ? w : end)) {
                discardingCommand = false;
                return binary(in);
            }
            if (end < 0) {
                discardEndedWithCr = w > r && in.getByte(w - 1) == '\r';
                in.readerIndex(w);
                return null;
            }
            in.readerIndex(end + 1);
            discardingCommand = false;
            return CommandLine.TOO_LONG;
        }
        int end = findCrlf(in, r, w, false);
        if (isBinary(in, r, end < 0 ? w : end)) {
            return binary(in);
        }
        if (end < 0) {
            if (w - r >= maxCommandLine) {
                discardingCommand = true;
                discardEndedWithCr = in.getByte(w - 1) == '\r';
                in.readerIndex(w);
            }
            return null;
        }
        in.readerIndex(end + 1);
        int len = end - 1 - r;
        if (len + 2 > maxCommandLine) {
            return CommandLine.TOO_LONG;
        }
        if (in.forEachByte(r, len, ByteProcessor.FIND_CRLF) >= 0) {
            return CommandLine.BARE_NEWLINE;
        }
        if (!ByteBufUtil.isText(in, r, len, StandardCharsets.UTF_8)) {
            return CommandLine.INVALID_UTF8;
        }
        return new CommandLine(CommandLine.Kind.LINE, in.toString(r, len, StandardCharsets.UTF_8));
    }

    private static boolean isBinary(ByteBuf in, int from, int to) {
        return to > from && in.forEachByte(from, to - from, FIND_BINARY) >= 0;
    }

    /** The connection is closed after binary input, so everything read so far is dropped with it. */
    private static CommandLine binary(ByteBuf in) {
        in.readerIndex(in.writerIndex());
        return CommandLine.BINARY;
    }

    /**
     * Index of the LF of the first CRLF in {@code [from, to)}; an LF at {@code from} counts when
     * {@code crBefore} says the byte before {@code from} was a CR.
     */
    private static int findCrlf(ByteBuf in, int from, int to, boolean crBefore) {
        int i = from;
        while (i < to) {
            int lf = in.indexOf(i, to, (byte) '\n');
            if (lf < 0) {
                return -1;
            }
            if (lf == from ? crBefore : in.getByte(lf - 1) == '\r') {
                return lf;
            }
            i = lf + 1;
        }
        return -1;
    }

    /** Prepares to read message content; called after the 354 reply to DATA. */
    public void startData() {
        atLineStart = true;
        lineStartFollowsCrlf = true;
        lineLength = 0;
        bareNewlineSeen = false;
        lineTooLong = false;
    }

    /**
     * Reads content from {@code in} into {@code sink} until the end-of-data line; returns true when
     * it was read (and consumed), false when {@code in} is exhausted first. Bytes after the
     * end-of-data line are left in {@code in}: they are the next pipelined commands.
     */
    public boolean readData(ByteBuf in, BodySink sink) {
        int r = in.readerIndex();
        final int w = in.writerIndex();
        while (r < w) {
            if (atLineStart) {
                if (in.getByte(r) == '.' && lineStartFollowsCrlf) {
                    // Up to ".\r\n" must be seen to tell the end of data from a dot-stuffed line.
                    if (w - r < 2 || (in.getByte(r + 1) == '\r' && w - r < 3)) {
                        break;
                    }
                    if (in.getByte(r + 1) == '\r' && in.getByte(r + 2) == '\n') {
                        in.readerIndex(r + 3);
                        atLineStart = false;
                        return true;
                    }
                    r++; // RFC 5321 4.5.2: remove the transparency dot
                }
                atLineStart = false;
            }
            int nl = in.forEachByte(r, w - r, ByteProcessor.FIND_CRLF);
            int runEnd = nl < 0 ? w : nl;
            if (runEnd > r) {
                appendContent(in, r, runEnd - r, sink);
                r = runEnd;
            }
            if (nl < 0) {
                break;
            }
            if (in.getByte(nl) == '\r') {
                if (nl + 1 == w) {
                    break; // a CR as the last byte: its partner may be in the next read
                }
                if (in.getByte(nl + 1) == '\n') {
                    sink.appendCrlf();
                    r = nl + 2;
                    endLine(true);
                    continue;
                }
            }
            bareNewline(sink);
            r = nl + 1;
            endLine(false);
        }
        in.readerIndex(r);
        return false;
    }

    private void appendContent(ByteBuf in, int index, int length, BodySink sink) {
        lineLength += length;
        if (maxDataLine > 0 && lineLength + 2 > maxDataLine) {
            lineTooLong = true;
        }
        sink.append(in, index, length);
    }

    private void bareNewline(BodySink sink) {
        if (bareNewlinePolicy == BareNewlinePolicy.NORMALIZE) {
            sink.appendCrlf();
        } else {
            bareNewlineSeen = true;
        }
    }

    private void endLine(boolean byCrlf) {
        atLineStart = true;
        lineStartFollowsCrlf = byCrlf;
        lineLength = 0;
    }

    /** Prepares to read one BDAT chunk of {@code size} octets. */
    public void startChunk(long size) {
        chunkRemaining = size;
    }

    /**
     * Moves what {@code in} holds of the current BDAT chunk to {@code sink} exactly as sent (RFC 3030:
     * no dot-unstuffing, no line ends looked at), or skips it when sink is null; returns true once
     * the whole chunk has been read. Bytes after the chunk stay in {@code in}.
     */
    public boolean readChunk(ByteBuf in, BodySink sink) {
        int n = (int) Math.min(chunkRemaining, in.readableBytes());
        if (n > 0 && sink != null) {
            sink.append(in, in.readerIndex(), n);
        }
        in.skipBytes(n);
        chunkRemaining -= n;
        return chunkRemaining == 0;
    }

    /** Whether the message just read held a bare CR or LF under {@link BareNewlinePolicy#REJECT}. */
    public boolean bareNewlineSeen() {
        return bareNewlineSeen;
    }

    /** Whether the message just read held a line longer than the content line limit. */
    public boolean lineTooLong() {
        return lineTooLong;
    }
}
