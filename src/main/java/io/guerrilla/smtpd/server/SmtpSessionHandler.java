package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.codec.CommandLine;
import io.guerrilla.smtpd.codec.SmtpFramer;
import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.mail.MemoryBudget;
import io.guerrilla.smtpd.mail.MessageBody;
import io.guerrilla.smtpd.mail.QueueIds;
import io.guerrilla.smtpd.metrics.ServerMetrics;
import io.guerrilla.smtpd.pipeline.Delivery;
import io.guerrilla.smtpd.smtp.Action;
import io.guerrilla.smtpd.smtp.DataResult;
import io.guerrilla.smtpd.smtp.Outcome;
import io.guerrilla.smtpd.smtp.RecipientVerdict;
import io.guerrilla.smtpd.smtp.Replies;
import io.guerrilla.smtpd.smtp.Reply;
import io.guerrilla.smtpd.smtp.SessionStateMachine;
import io.guerrilla.smtpd.smtp.SmtpCommand;
import io.guerrilla.smtpd.smtp.StorageSpace;
import io.guerrilla.smtpd.smtp.Verb;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.NetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The I/O side of one SMTP connection: feeds bytes to the {@link SmtpFramer}, commands to the
 * {@link SessionStateMachine}, writes the replies and carries out the actions. Everything runs on the
 * channel's event loop; the only slow work, storing, is handed to the {@link Delivery} and its result
 * comes back to the event loop.
 *
 * <p>While a message is being stored the handler parses nothing more, and stops reading (autoRead off)
 * once the client has sent {@link #MAX_READ_AHEAD_WHILE_STORING} octets ahead, so a client cannot
 * have a second message in flight nor make the server buffer without bound; pipelined commands
 * already read wait in the cumulation buffer and are handled after the 250.
 * Replies are written as commands are handled and flushed when the input is drained, so a pipelined
 * group (RFC 2920) costs one write.
 *
 * <p>BDAT chunks (RFC 3030) are read by length, exactly as sent; a refused chunk is still read and
 * dropped so the next command is found where the client put it. While message content arrives
 * (DATA or a BDAT chunk) the client must keep up a minimum data rate, so a slowloris that trickles
 * bytes to dodge the idle timeout is cut off. Likewise each command line must be complete within the
 * idle timeout of the previous one, so trickling a command a byte at a time does not hold a
 * connection either.
 *
 * <p>Bodies are counted against the shared {@link MemoryBudget}: a new message that does not fit is
 * answered 451 4.3.1, and while the budget is spent, connections receiving content stop reading until
 * memory is released (see {@code docs/memory.md}).
 */
final class SmtpSessionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(SmtpSessionHandler.class);
    /** Fired by {@link SmtpServer#drain}: finish the message in hand, then 421 4.3.2 and close. */
    static final Object DRAIN = new Object();
    /**
     * Octets a client may send ahead while its message is being stored before the connection stops
     * reading. Reading is paused only then, not for every message: a client that waits for its 250,
     * as almost all do, costs no epoll_ctl calls to switch reading off and on again.
     */
    static final int MAX_READ_AHEAD_WHILE_STORING = 64 * 1024;

    private final ListenerSettings settings;
    private final Delivery pipeline;
    private final SmtpFramer framer;
    private final SessionStateMachine machine;
    private final ClientLimiter clientLimiter;
    private final Executor spillWriter;
    private final MemoryBudget memory;
    /** Reading stopped because the body's spill file writes fell behind (see MessageBody). */
    private boolean pausedForDisk;
    /** Reading stopped because the memory budget of all bodies is spent. */
    private boolean pausedForMemory;

    private ByteBuf cumulation;
    private MessageBody body;
    private String clientIp = "";
    private boolean inData;
    private boolean storing;
    private boolean validating;
    private boolean closing;
    private boolean inChunk;
    private InetAddress clientAddress;
    private boolean countedByClientLimiter;
    private long bytesThisWindow;
    private ScheduledFuture<?> dataRateCheck;
    private long lastCommandNanos;
    private ScheduledFuture<?> commandDeadline;

    private final ServerMetrics metrics;
    private final BooleanSupplier serverDraining;
    private boolean drainRequested;
    private boolean opened;
    private String connId = "";
    private long openedAt;
    private int messages;

    SmtpSessionHandler(ListenerSettings settings, Delivery pipeline, ClientLimiter clientLimiter,
                        ServerMetrics metrics, BooleanSupplier draining, Executor spillWriter, MemoryBudget memory,
                        StorageSpace space) {
        this.spillWriter = spillWriter;
        this.memory = memory;
        this.settings = settings;
        this.pipeline = pipeline;
        this.clientLimiter = clientLimiter;
        this.metrics = metrics;
        this.serverDraining = draining;
        this.framer = new SmtpFramer(settings.maxCommandLine(), settings.maxDataLine(), settings.bareNewline());
        this.machine = new SessionStateMachine(settings.policy(), space);
        machine.setValidateRecipients(pipeline.validatesRecipients());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetSocketAddress peer = ClientAddress.of(ctx.channel());
        if (peer != null && peer.getAddress() != null) {
            setClientAddress(peer.getAddress());
        }
        connId = ctx.channel().id().asShortText();
        machine.connectedFrom(clientIp);
        machine.offerStartTls(settings.tls() != null && settings.tls().startTls());
        machine.trustXclient(settings.trust().xclient().contains(peer));
        if (serverDraining.getAsBoolean()) {
            metrics.connectionRejected("shutting_down");
            write(ctx, Replies.SHUTTING_DOWN);
            close(ctx);
            return;
        }
        if (!admitClient(ctx)) {
            return;
        }
        opened = true;
        openedAt = System.nanoTime();
        metrics.connectionOpened();
        log.atInfo().setMessage("connection opened").addKeyValue("conn", connId).addKeyValue("client", clientIp).log();
        // With implicit TLS the greeting is the first thing said inside TLS, after the handshake.
        if (settings.tls() == null || !settings.tls().implicit()) {
            write(ctx, machine.greeting());
            ctx.flush();
        }
        lastCommandNanos = System.nanoTime();
        scheduleCommandDeadline(ctx, settings.idleTimeout().toNanos());
        ctx.fireChannelActive();
    }

    /**
     * The one place the connection's client address is set (the socket's peer, or what a trusted PROXY
     * header named): the per-address limits and the connection's log lines follow it. XCLIENT does not
     * change it: it changes the state machine's address, which the Received header, the stored
     * ip_addr and the message log lines use.
     */
    private void setClientAddress(InetAddress address) {
        clientAddress = address;
        clientIp = NetUtil.toAddressString(address);
    }

    /** Applies the per-address limits; false when the client was refused and is being closed. */
    private boolean admitClient(ChannelHandlerContext ctx) {
        if (clientAddress == null) {
            return true;
        }
        Reply refusal = switch (clientLimiter.acquire(clientAddress)) {
            case ADMITTED -> null;
            case TOO_MANY_CONNECTIONS -> Replies.TOO_MANY_CONNECTIONS_FROM_IP;
            case TOO_FAST -> Replies.CONNECTION_RATE_EXCEEDED;
        };
        if (refusal == null) {
            countedByClientLimiter = true;
            return true;
        }
        metrics.connectionRejected(refusal == Replies.TOO_MANY_CONNECTIONS_FROM_IP ? "per_ip_limit" : "per_ip_rate");
        log.info("refused {} from {}: {}", ctx.channel().id(), clientIp, refusal);
        write(ctx, refusal);
        close(ctx);
        return false;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (closing) {
            in.release();
            return;
        }
        bytesThisWindow += in.readableBytes();
        cumulation = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        if (storing && cumulation.readableBytes() > MAX_READ_AHEAD_WHILE_STORING) {
            ctx.channel().config().setAutoRead(false);
        }
        process(ctx);
        pauseIfDiskBehind(ctx);
        pauseIfMemorySpent(ctx);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    private void process(ChannelHandlerContext ctx) {
        while (!storing && !validating && !closing) {
            if (inChunk) {
                // Checked before looking for input: a chunk of size 0 (BDAT 0 LAST) is complete at once.
                ByteBuf in = cumulation == null ? Unpooled.EMPTY_BUFFER : cumulation;
                if (!framer.readChunk(in, machine.chunkAccepted() ? body : null)) {
                    break;
                }
                endOfChunk(ctx);
                continue;
            }
            if (cumulation == null || !cumulation.isReadable()) {
                break;
            }
            if (drainRequested && !inData && !inChunk) {
                break;
            }
            if (inData) {
                if (!framer.readData(cumulation, body)) {
                    break;
                }
                endOfData(ctx);
            } else {
                CommandLine line = framer.readCommand(cumulation);
                if (line == null) {
                    break;
                }
                command(ctx, line);
            }
        }
        if (cumulation != null) {
            if (!cumulation.isReadable()) {
                cumulation.release();
                cumulation = null;
            } else {
                cumulation.discardSomeReadBytes();
            }
        }
        closeIfDraining(ctx);
    }

    /** A stop was requested and no message is in hand: tell the client (RFC 5321 3.8) and hang up. */
    private void closeIfDraining(ChannelHandlerContext ctx) {
        if (drainRequested && !inData && !storing && !closing) {
            write(ctx, Replies.SHUTTING_DOWN);
            close(ctx);
        }
    }

    private void command(ChannelHandlerContext ctx, CommandLine line) {
        lastCommandNanos = System.nanoTime();
        switch (line.kind()) {
            case LINE -> {
                SmtpCommand cmd = SmtpCommand.parse(line.text());
                Outcome o = machine.handle(cmd);
                apply(ctx, o);
                if (cmd.verb() == Verb.DATA && o.action() != Action.START_DATA && !closing
                        && cumulation.isReadable()) {
                    apply(ctx, machine.improperPipelining());
                }
            }
            case BINARY -> apply(ctx, machine.rejectBinary());
            default -> apply(ctx, machine.rejectLine(rejection(line.kind())));
        }
    }

    private static Reply rejection(CommandLine.Kind kind) {
        return switch (kind) {
            case TOO_LONG -> Replies.LINE_TOO_LONG;
            case BARE_NEWLINE -> Replies.BARE_NEWLINE_IN_COMMAND;
            case INVALID_UTF8, LINE, BINARY -> Replies.INVALID_UTF8;
        };
    }

    private MessageBody newBody(ChannelHandlerContext ctx) {
        return new MessageBody(ctx.alloc(), settings.policy().maxMessageSize(), settings.spillThreshold(),
                settings.spillDirectory(), spillWriter, memory);
    }

    /** Whether a new body's first buffer fits in the memory budget; a WARN line when it does not. */
    private boolean admitBody(ChannelHandlerContext ctx) {
        if (memory.used() + MessageBody.INITIAL_CAPACITY <= memory.limit()) {
            return true;
        }
        log.atWarn().setMessage("message refused: body memory spent").addKeyValue("conn", connId)
                .addKeyValue("client", clientIp).addKeyValue("body_memory_used", memory.used())
                .addKeyValue("body_memory", memory.limit()).log();
        return false;
    }

    /**
     * Stops reading while the body's file writes are behind, so a slow disk holds back this client
     * instead of filling memory or stalling the event loop; reading resumes when they catch up.
     */
    private void pauseIfDiskBehind(ChannelHandlerContext ctx) {
        if (body == null || pausedForDisk || !body.writeBehindFull()) {
            return;
        }
        pausedForDisk = true;
        ctx.channel().config().setAutoRead(false);
        body.whenDrained(() -> ctx.executor().execute(() -> {
            pausedForDisk = false;
            resumeReading(ctx);
        }));
    }

    /**
     * Stops reading content while all bodies together hold the whole memory budget; what is released
     * (chunks written to their files, messages stored) lets them go on. A body kept in memory is
     * spilled rather than grown under pressure, so every wait ends once the file writes catch up.
     */
    private void pauseIfMemorySpent(ChannelHandlerContext ctx) {
        if (body == null || pausedForMemory || !(inData || inChunk) || !memory.exhausted()) {
            return;
        }
        pausedForMemory = true;
        ctx.channel().config().setAutoRead(false);
        memory.whenAvailable(() -> ctx.executor().execute(() -> {
            pausedForMemory = false;
            resumeReading(ctx);
        }));
    }

    /** Reading goes on once nothing holds it back; storing and validating resume it themselves. */
    private void resumeReading(ChannelHandlerContext ctx) {
        if (!pausedForDisk && !pausedForMemory && !storing && !validating) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void apply(ChannelHandlerContext ctx, Outcome o) {
        boolean startsBody = o.action() == Action.START_DATA
                || o.action() == Action.READ_CHUNK && machine.chunkAccepted() && body == null;
        if (startsBody && !admitBody(ctx)) {
            metrics.messageReplied(Replies.NO_MEMORY_FOR_MESSAGE.code());
            apply(ctx, machine.noMemoryForMessage());
            return;
        }
        if (o.reply() != null) {
            write(ctx, o.reply());
        }
        switch (o.action()) {
            case START_DATA -> {
                body = newBody(ctx);
                framer.startData();
                inData = true;
                startDataRateCheck(ctx);
            }
            case READ_CHUNK -> {
                if (machine.chunkAccepted() && body == null) {
                    body = newBody(ctx);
                }
                framer.startChunk(machine.chunkSize());
                inChunk = true;
                startDataRateCheck(ctx);
            }
            case STORE -> startStore(ctx);
            case START_TLS -> startTls(ctx);
            case VALIDATE_RCPT -> startValidation(ctx);
            case CLOSE -> close(ctx);
            case NONE -> {
            }
        }
        dropAbandonedBody();
    }

    /** A BDAT transaction ended without being stored (RSET, EHLO, a refused chunk): its content goes. */
    private void dropAbandonedBody() {
        if (body != null && !inData && !inChunk && machine.state() != SessionStateMachine.State.BDAT) {
            body.release();
            body = null;
        }
    }

    private void endOfChunk(ChannelHandlerContext ctx) {
        inChunk = false;
        lastCommandNanos = System.nanoTime();
        DataResult result = body == null ? new DataResult(0, false, false, false)
                : new DataResult(body.size(), body.tooBig(), false, false);
        apply(ctx, machine.endOfChunk(result));
    }

    /**
     * While content is arriving, each window must bring min_data_rate × window bytes. The first
     * check comes a full window after the content starts, which is the grace period.
     */
    private void startDataRateCheck(ChannelHandlerContext ctx) {
        if (settings.minDataRate() <= 0 || dataRateCheck != null) {
            return;
        }
        long window = settings.minDataRateWindow().toMillis();
        bytesThisWindow = 0;
        dataRateCheck = ctx.executor().scheduleAtFixedRate(() -> checkDataRate(ctx), window, window,
                TimeUnit.MILLISECONDS);
    }

    private void checkDataRate(ChannelHandlerContext ctx) {
        if (!inData && !inChunk || closing) {
            stopDataRateCheck();
            return;
        }
        long needed = settings.minDataRate() * settings.minDataRateWindow().toSeconds();
        if (pausedForDisk || pausedForMemory) {
            // The wait is ours, not the client's.
            bytesThisWindow = 0;
            return;
        }
        if (bytesThisWindow < needed) {
            log.info("data rate too low {} client={}: {} bytes in {}", ctx.channel().id(), clientIp, bytesThisWindow,
                    settings.minDataRateWindow());
            write(ctx, Replies.DATA_RATE_TOO_LOW);
            close(ctx);
            return;
        }
        bytesThisWindow = 0;
    }

    private void scheduleCommandDeadline(ChannelHandlerContext ctx, long delayNanos) {
        commandDeadline = ctx.executor().schedule(() -> checkCommandDeadline(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * The idle timeout counts from the last complete command, not the last byte: the reader-idle
     * handler alone would let a client keep a command line open for ever by sending a byte now and
     * then. Content (DATA, BDAT) is paced by the minimum data rate instead, storing by the store
     * timeout. One timer per connection, rescheduled only when it fires, as IdleStateHandler does.
     */
    private void checkCommandDeadline(ChannelHandlerContext ctx) {
        if (closing) {
            return;
        }
        long timeout = settings.idleTimeout().toNanos();
        long left = inData || inChunk || storing ? timeout : lastCommandNanos + timeout - System.nanoTime();
        if (left > 0) {
            scheduleCommandDeadline(ctx, left);
            return;
        }
        log.info("command timeout {} client={}", ctx.channel().id(), clientIp);
        write(ctx, Replies.TIMEOUT);
        close(ctx);
    }

    private void stopDataRateCheck() {
        if (dataRateCheck != null) {
            dataRateCheck.cancel(false);
            dataRateCheck = null;
        }
    }

    /**
     * The 220 leaves in plaintext before the SslHandler exists; whatever the client sent behind
     * STARTTLS was read before the handshake and is dropped unanswered, so a man in the middle
     * cannot inject commands that would run inside TLS (CVE-2011-0411).
     */
    private void startTls(ChannelHandlerContext ctx) {
        ctx.flush();
        if (cumulation != null && cumulation.isReadable()) {
            log.info("discarded {} bytes pipelined after STARTTLS from {}", cumulation.readableBytes(), clientIp);
            cumulation.skipBytes(cumulation.readableBytes());
        }
        ctx.pipeline().addFirst("ssl", settings.tls().newHandler(ctx.alloc()));
        machine.resetForTls();
    }

    private void handshakeDone(ChannelHandlerContext ctx, SslHandshakeCompletionEvent evt) {
        metrics.tlsHandshake(evt.isSuccess() ? "ok" : "failed");
        if (!evt.isSuccess()) {
            log.info("TLS handshake failed {} client={}: {}", ctx.channel().id(), clientIp, evt.cause().toString());
            closing = true;
            ctx.close();
            return;
        }
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        log.debug("TLS {} {} client={}", ssl.engine().getSession().getProtocol(),
                ssl.engine().getSession().getCipherSuite(), clientIp);
        if (!machine.isTls()) {
            machine.setTls(true);
            write(ctx, machine.greeting());
            ctx.flush();
        }
    }

    private void endOfData(ChannelHandlerContext ctx) {
        inData = false;
        lastCommandNanos = System.nanoTime();
        DataResult result = new DataResult(body.size(), body.tooBig(), framer.bareNewlineSeen(), framer.lineTooLong());
        Outcome o = machine.endOfData(result);
        messages++;
        metrics.bytesReceived(result.size());
        if (o.action() != Action.STORE) {
            metrics.messageReplied(o.reply().code());
            log.atInfo().setMessage("message rejected").addKeyValue("conn", connId)
                    .addKeyValue("client", machine.clientAddress())
                    .addKeyValue("code", o.reply().code()).addKeyValue("size", result.size()).log();
            body.release();
            body = null;
        }
        apply(ctx, o);
    }

    private void startStore(ChannelHandlerContext ctx) {
        storing = true;
        MessageBody b = body;
        body = null;
        Envelope env = new Envelope(QueueIds.next(), Instant.now(), settings.policy().hostName(), machine.clientAddress(),
                machine.helo(), machine.receivedProtocol(), machine.isTls(), machine.mailFrom(),
                List.copyOf(machine.recipients()), b);
        b.retain();
        long started = System.nanoTime();
        pipeline.save(env)
                .orTimeout(settings.storeTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ok, err) -> ctx.executor().execute(() -> stored(ctx, env, err, started)));
    }

    private void stored(ChannelHandlerContext ctx, Envelope env, Throwable err, long started) {
        env.body().release();
        storing = false;
        long nanos = System.nanoTime() - started;
        metrics.storeLatency(nanos);
        Outcome o = machine.stored(err == null, env.queueId());
        metrics.messageReplied(o.reply().code());
        LoggingEventBuilder line = (err == null ? log.atInfo().setMessage("message stored")
                : log.atWarn().setMessage("message not stored").addKeyValue("error", err.toString()))
                .addKeyValue("queue_id", env.queueId()).addKeyValue("conn", connId).addKeyValue("code", o.reply().code())
                .addKeyValue("client", env.clientIp()).addKeyValue("from", env.mailFrom())
                .addKeyValue("rcpts", env.recipients().size()).addKeyValue("size", env.body().size())
                .addKeyValue("store_us", nanos / 1000);
        line.log();
        if (!ctx.channel().isActive()) {
            return;
        }
        lastCommandNanos = System.nanoTime();
        apply(ctx, o);
        ctx.flush();
        ctx.channel().config().setAutoRead(true);
        process(ctx);
        ctx.flush();
    }

    /** Like storing: stop reading until the off-loop check answers, then reply and go on. */
    private void startValidation(ChannelHandlerContext ctx) {
        validating = true;
        ctx.channel().config().setAutoRead(false);
        pipeline.validateRecipient(machine.pendingRecipient())
                .whenComplete((ok, err) -> ctx.executor().execute(() -> validated(ctx, ok, err)));
    }

    private void validated(ChannelHandlerContext ctx, Boolean ok, Throwable err) {
        validating = false;
        if (err != null) {
            log.warn("recipient check failed for {} client={}: {}", machine.pendingRecipient(), machine.clientAddress(),
                    err.toString());
        }
        if (!ctx.channel().isActive()) {
            return;
        }
        apply(ctx, machine.recipientValidated(err != null ? RecipientVerdict.TEMPFAIL
                : ok ? RecipientVerdict.ACCEPT : RecipientVerdict.REJECT));
        ctx.flush();
        ctx.channel().config().setAutoRead(true);
        process(ctx);
        ctx.flush();
    }

    private void write(ChannelHandlerContext ctx, Reply reply) {
        ctx.write(Unpooled.wrappedBuffer(reply.wire()), ctx.voidPromise());
    }

    private void close(ChannelHandlerContext ctx) {
        closing = true;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DRAIN) {
            drainRequested = true;
            closeIfDraining(ctx);
            return;
        }
        if (evt instanceof SslHandshakeCompletionEvent hs) {
            handshakeDone(ctx, hs);
            return;
        }
        // A client waiting for its 250 is not idle: the store's own timeout answers it.
        if (evt instanceof IdleStateEvent && !storing && !validating && !closing) {
            log.atInfo().setMessage("timeout").addKeyValue("conn", connId).addKeyValue("client", clientIp).log();
            write(ctx, Replies.TIMEOUT);
            close(ctx);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stopDataRateCheck();
        if (commandDeadline != null) {
            commandDeadline.cancel(false);
        }
        if (countedByClientLimiter) {
            countedByClientLimiter = false;
            clientLimiter.release(clientAddress);
        }
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
        if (body != null) {
            body.release();
            body = null;
        }
        if (opened) {
            metrics.connectionClosed();
            log.atInfo().setMessage("connection closed").addKeyValue("conn", connId).addKeyValue("client", clientIp)
                    .addKeyValue("duration_ms", (System.nanoTime() - openedAt) / 1_000_000)
                    .addKeyValue("messages", messages).log();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof OutOfMemoryError) {
            // The budget is there so this does not happen; if it does, the client still hears why.
            log.atWarn().setMessage("out of memory, connection closed").addKeyValue("conn", connId)
                    .addKeyValue("client", clientIp).addKeyValue("body_memory_used", memory.used())
                    .addKeyValue("error", cause.toString()).log();
            if (!closing) {
                write(ctx, Replies.OUT_OF_MEMORY);
                close(ctx);
            }
            return;
        }
        log.atDebug().setMessage("connection failed").addKeyValue("conn", connId).addKeyValue("client", clientIp)
                .addKeyValue("error", cause.toString()).log();
        ctx.close();
    }
}
