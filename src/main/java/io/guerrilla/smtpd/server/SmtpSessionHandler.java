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
import io.guerrilla.smtpd.smtp.MailAddress;
import io.guerrilla.smtpd.smtp.Outcome;
import io.guerrilla.smtpd.smtp.RecipientVerdict;
import io.guerrilla.smtpd.smtp.Replies;
import io.guerrilla.smtpd.smtp.Reply;
import io.guerrilla.smtpd.smtp.SessionStateMachine;
import io.guerrilla.smtpd.smtp.SessionStateMachine.State;
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
import io.netty.util.NetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executor;
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
 * connection either. Both clocks are kept by {@link SessionTimers}.
 *
 * <p>What the handler is doing is one {@link Mode}, checked against the state machine's state at each
 * change, as Netty's HttpObjectDecoder keeps one State; only the reasons reading is paused, which
 * overlap the modes and each other, are kept apart.
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
    /** Recipients named on a "message stored" line: enough to follow a message, bounded against a 1000-recipient line. */
    static final int LOGGED_RECIPIENTS = 3;

    /**
     * What the handler is doing. Each mode allows only the state machine states it can coexist with;
     * entering a mode in any other state is a bug and throws.
     */
    private enum Mode {
        /** Not yet admitted: channelActive has not run. */
        NEW(State.CONNECTED),
        /** Reading command lines (between BDAT chunks too). */
        COMMANDS(State.CONNECTED, State.GREETED, State.MAIL, State.RCPT, State.BDAT),
        /** Waiting for the validate_process verdict on a recipient; reading stopped. */
        VALIDATING(State.MAIL, State.RCPT),
        /** Reading DATA content up to the end-of-data line. */
        DATA(State.DATA),
        /**
         * Reading a BDAT chunk by length. A refused chunk (no transaction, no memory) is read too and
         * dropped, in whatever state the refusal left the machine; see {@link #allows}.
         */
        CHUNK(State.BDAT),
        /** Waiting for the store to commit the message; commands read meanwhile wait. */
        STORING(State.STORING),
        /** The last reply is written and the channel is closing: nothing more is read or answered. */
        CLOSING(State.values()),
        /** Like CLOSING, for a connection refused before it was opened (not counted as opened). */
        REFUSED(State.values());

        private final Set<State> states;

        Mode(State... states) {
            this.states = EnumSet.of(states[0], states);
        }

        boolean allows(SessionStateMachine machine) {
            return states.contains(machine.state()) || this == CHUNK && !machine.chunkAccepted();
        }

        boolean closing() {
            return this == CLOSING || this == REFUSED;
        }

        boolean receivingContent() {
            return this == DATA || this == CHUNK;
        }
    }

    /** Why reading is stopped while content arrives; each is lifted by its own event. */
    private enum Pause {
        /** The body's spill file writes fell behind (see MessageBody). */
        DISK,
        /** The memory budget of all bodies is spent. */
        MEMORY
    }

    private final ListenerSettings settings;
    private final Delivery delivery;
    private final SmtpFramer framer;
    private final SessionStateMachine machine;
    private final PerAddressConnectionLimiter clientLimiter;
    private final Executor spillWriter;
    private final MemoryBudget memory;
    private Mode mode = Mode.NEW;
    private final Set<Pause> paused = EnumSet.noneOf(Pause.class);
    private SessionTimers timers;

    private ByteBuf cumulation;
    private MessageBody body;
    private String clientIp = "";
    private InetAddress clientAddress;
    private boolean countedByClientLimiter;

    private final ServerMetrics metrics;
    private final BooleanSupplier serverDraining;
    /**
     * A stop was asked for: the session closes as soon as no message is in hand. Not a mode, since
     * it is pending across DATA and STORING and takes effect when they end.
     */
    private boolean drainRequested;
    private String connId = "";
    /** The negotiated TLS protocol and cipher suite, once a handshake succeeded; logged with each message. */
    private String tlsProtocol;
    private String tlsCipher;
    private long openedAt;
    private int messages;

    SmtpSessionHandler(ListenerSettings settings, Delivery delivery, PerAddressConnectionLimiter clientLimiter,
                        ServerMetrics metrics, BooleanSupplier draining, Executor spillWriter, MemoryBudget memory,
                        StorageSpace space) {
        this.spillWriter = spillWriter;
        this.memory = memory;
        this.settings = settings;
        this.delivery = delivery;
        this.clientLimiter = clientLimiter;
        this.metrics = metrics;
        this.serverDraining = draining;
        this.framer = new SmtpFramer(settings.maxCommandLine(), settings.maxDataLine(), settings.bareNewline());
        this.machine = new SessionStateMachine(settings.policy(), space);
        machine.setValidateRecipients(delivery.validatesRecipients());
    }

    private void enter(Mode next) {
        if (mode.closing() && !next.closing() || !next.allows(machine)) {
            throw new IllegalStateException("handler cannot go from " + mode + " to " + next + " with the session in "
                    + machine.state());
        }
        mode = next;
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
            close(ctx, Mode.REFUSED);
            return;
        }
        if (!admitClient(ctx)) {
            return;
        }
        enter(Mode.COMMANDS);
        openedAt = System.nanoTime();
        metrics.connectionOpened();
        metrics.clientConnected(clientIp);
        log.atInfo().setMessage("connection opened").addKeyValue("conn", connId).addKeyValue("client", clientIp).log();
        // With implicit TLS the greeting is the first thing said inside TLS, after the handshake.
        if (settings.tls() == null || !settings.tls().implicit()) {
            write(ctx, machine.greeting());
            ctx.flush();
        }
        timers = new SessionTimers(ctx.executor(), timed(ctx), settings.idleTimeout(), settings.minDataRate(),
                settings.minDataRateWindow());
        timers.start();
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
        String reason = refusal == Replies.TOO_MANY_CONNECTIONS_FROM_IP ? "per_ip_limit" : "per_ip_rate";
        metrics.connectionRejected(reason);
        log.atInfo().setMessage("connection refused").addKeyValue("conn", connId).addKeyValue("client", clientIp)
                .addKeyValue("reason", reason).addKeyValue("code", refusal.code()).log();
        write(ctx, refusal);
        close(ctx, Mode.REFUSED);
        return false;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (mode.closing()) {
            in.release();
            return;
        }
        timers.read(in.readableBytes());
        cumulation = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        if (mode == Mode.STORING && cumulation.readableBytes() > MAX_READ_AHEAD_WHILE_STORING) {
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
        while (mode == Mode.COMMANDS || mode.receivingContent()) {
            if (mode == Mode.CHUNK) {
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
            if (drainRequested && mode == Mode.COMMANDS) {
                break;
            }
            if (mode == Mode.DATA) {
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

    /**
     * A stop was requested and no message content is arriving or being stored: tell the client
     * (RFC 5321 3.8) and hang up. A BDAT chunk is read to its end as DATA content is, so the chunk
     * (and a LAST one's message) gets its reply rather than a connection cut mid-chunk.
     */
    private void closeIfDraining(ChannelHandlerContext ctx) {
        if (drainRequested && !mode.receivingContent() && mode != Mode.STORING && !mode.closing()) {
            write(ctx, Replies.SHUTTING_DOWN);
            close(ctx, Mode.CLOSING);
        }
    }

    private void command(ChannelHandlerContext ctx, CommandLine line) {
        timers.commandDone();
        switch (line.kind()) {
            case LINE -> {
                SmtpCommand cmd = SmtpCommand.parse(line.text());
                Outcome o = machine.handle(cmd);
                if ((cmd.verb() == Verb.HELO || cmd.verb() == Verb.EHLO) && o.reply() != null && o.reply().code() == 250) {
                    metrics.heloAccepted(machine.helo());
                }
                if (cmd.verb() == Verb.RCPT && o.reply() != null && !o.reply().isPositive()) {
                    recipientRefused(pathOf(cmd.argument()), o.reply());
                }
                apply(ctx, o);
                if (cmd.verb() == Verb.DATA && o.action() != Action.START_DATA && !mode.closing()
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
        if (body == null || paused.contains(Pause.DISK) || !body.writeBehindFull()) {
            return;
        }
        pause(ctx, Pause.DISK);
        body.whenDrained(() -> ctx.executor().execute(() -> resume(ctx, Pause.DISK)));
    }

    /**
     * Stops reading content while all bodies together hold the whole memory budget; what is released
     * (chunks written to their files, messages stored) lets them go on. A body kept in memory is
     * spilled rather than grown under pressure, so every wait ends once the file writes catch up.
     */
    private void pauseIfMemorySpent(ChannelHandlerContext ctx) {
        if (body == null || paused.contains(Pause.MEMORY) || !mode.receivingContent() || !memory.exhausted()) {
            return;
        }
        pause(ctx, Pause.MEMORY);
        memory.whenAvailable(() -> ctx.executor().execute(() -> resume(ctx, Pause.MEMORY)));
    }

    private void pause(ChannelHandlerContext ctx, Pause reason) {
        paused.add(reason);
        ctx.channel().config().setAutoRead(false);
    }

    /** Reading goes on once nothing holds it back; storing and validating resume it themselves. */
    private void resume(ChannelHandlerContext ctx, Pause reason) {
        paused.remove(reason);
        if (paused.isEmpty() && mode != Mode.STORING && mode != Mode.VALIDATING) {
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
                enter(Mode.DATA);
                timers.contentStarted();
            }
            case READ_CHUNK -> {
                if (machine.chunkAccepted() && body == null) {
                    body = newBody(ctx);
                }
                framer.startChunk(machine.chunkSize());
                enter(Mode.CHUNK);
                timers.contentStarted();
            }
            case STORE -> startStore(ctx);
            case START_TLS -> startTls(ctx);
            case VALIDATE_RCPT -> startValidation(ctx);
            case CLOSE -> close(ctx, Mode.CLOSING);
            case NONE -> {
            }
        }
        dropAbandonedBody();
    }

    /** A BDAT transaction ended without being stored (RSET, EHLO, a refused chunk): its content goes. */
    private void dropAbandonedBody() {
        if (body != null && !mode.receivingContent() && machine.state() != State.BDAT) {
            body.release();
            body = null;
        }
    }

    /**
     * The chunk is read: the machine decides. A chunk of a refused transaction is only answered; a
     * chunk that ends the message (LAST, or one past the size limit) ends it as DATA's end does.
     */
    private void endOfChunk(ChannelHandlerContext ctx) {
        timers.commandDone();
        if (!machine.chunkAccepted()) {
            Outcome o = machine.endOfChunk(new DataResult(0, false, false, false));
            enter(Mode.COMMANDS);
            apply(ctx, o);
            return;
        }
        DataResult result = new DataResult(body.size(), body.tooBig(), false, false);
        Outcome o = machine.endOfChunk(result);
        if (o.action() == Action.STORE || !o.reply().isPositive()) {
            endOfMessage(ctx, result, o);
            return;
        }
        enter(Mode.COMMANDS);
        apply(ctx, o);
    }

    /** What the session's clocks need to know of it, and what they do when they run out. */
    private SessionTimers.Session timed(ChannelHandlerContext ctx) {
        return new SessionTimers.Session() {
            @Override
            public SessionTimers.IdleFrom idleFrom() {
                return switch (mode) {
                    case NEW, COMMANDS -> SessionTimers.IdleFrom.LAST_COMMAND;
                    case DATA, CHUNK -> SessionTimers.IdleFrom.LAST_READ;
                    // A client waiting for its 250 is not idle: the store's own timeout answers it.
                    case VALIDATING, STORING, CLOSING, REFUSED -> SessionTimers.IdleFrom.NOTHING;
                };
            }

            @Override
            public boolean receivingContent() {
                return mode.receivingContent();
            }

            @Override
            public boolean contentPaused() {
                return !paused.isEmpty();
            }

            @Override
            public void idleTimeout() {
                timedOut("idle").addKeyValue("waiting_for", mode.name().toLowerCase(Locale.ROOT)).log();
                write(ctx, Replies.TIMEOUT);
                close(ctx, Mode.CLOSING);
            }

            @Override
            public void dataRateTooLow(long bytes, Duration window) {
                timedOut("min_data_rate").addKeyValue("bytes", bytes).addKeyValue("window_s", window.toSeconds()).log();
                write(ctx, Replies.DATA_RATE_TOO_LOW);
                close(ctx, Mode.CLOSING);
            }
        };
    }

    /** The negotiated TLS protocol and cipher suite, when the session is in TLS. */
    private LoggingEventBuilder withTls(LoggingEventBuilder line) {
        return tlsProtocol == null ? line : line.addKeyValue("tls", tlsProtocol).addKeyValue("cipher", tlsCipher);
    }

    /** The one line for a session cut off by a clock; {@code reason} says which. */
    private LoggingEventBuilder timedOut(String reason) {
        return log.atInfo().setMessage("session timed out").addKeyValue("conn", connId).addKeyValue("client", clientIp)
                .addKeyValue("reason", reason);
    }

    /**
     * The 220 leaves in plaintext before the SslHandler exists; whatever the client sent behind
     * STARTTLS was read before the handshake and is dropped unanswered, so a man in the middle
     * cannot inject commands that would run inside TLS (CVE-2011-0411).
     */
    private void startTls(ChannelHandlerContext ctx) {
        ctx.flush();
        if (cumulation != null && cumulation.isReadable()) {
            log.atInfo().setMessage("discarded bytes pipelined after STARTTLS").addKeyValue("conn", connId)
                    .addKeyValue("client", clientIp).addKeyValue("bytes", cumulation.readableBytes()).log();
            cumulation.skipBytes(cumulation.readableBytes());
        }
        ctx.pipeline().addFirst("ssl", settings.tls().newHandler(ctx.alloc()));
        machine.resetForTls();
    }

    private void handshakeDone(ChannelHandlerContext ctx, SslHandshakeCompletionEvent evt) {
        metrics.tlsHandshake(evt.isSuccess() ? "ok" : "failed");
        if (!evt.isSuccess()) {
            log.atInfo().setMessage("TLS handshake failed").addKeyValue("conn", connId).addKeyValue("client", clientIp)
                    .addKeyValue("error", evt.cause().toString()).log();
            if (!mode.closing()) {
                enter(Mode.CLOSING);
            }
            ctx.close();
            return;
        }
        SSLSession tls = ctx.pipeline().get(SslHandler.class).engine().getSession();
        tlsProtocol = tls.getProtocol();
        tlsCipher = tls.getCipherSuite();
        if (!machine.isTls()) {
            machine.setTls(true);
            write(ctx, machine.greeting());
            ctx.flush();
        }
    }

    private void endOfData(ChannelHandlerContext ctx) {
        timers.commandDone();
        DataResult result = new DataResult(body.size(), body.tooBig(), framer.bareNewlineSeen(), framer.lineTooLong());
        endOfMessage(ctx, result, machine.endOfData(result));
    }

    /**
     * The one ending of a message's content, by DATA or by BDAT: counted, and either stored or
     * rejected (counted by code and logged) with its body released.
     */
    private void endOfMessage(ChannelHandlerContext ctx, DataResult result, Outcome o) {
        messages++;
        metrics.bytesReceived(result.size());
        if (o.action() != Action.STORE) {
            enter(Mode.COMMANDS);
            metrics.messageReplied(o.reply().code());
            log.atInfo().setMessage("message rejected").addKeyValue("conn", connId)
                    .addKeyValue("client", machine.clientAddress()).addKeyValue("code", o.reply().code())
                    .addKeyValue("status", o.reply().enhancedCode()).addKeyValue("size", result.size()).log();
            body.release();
            body = null;
        }
        apply(ctx, o);
    }

    private void startStore(ChannelHandlerContext ctx) {
        enter(Mode.STORING);
        MessageBody b = body;
        body = null;
        Envelope env = new Envelope(QueueIds.next(), Instant.now(), settings.policy().hostName(), settings.nodeName(),
                machine.clientAddress(), machine.helo(), machine.receivedProtocol(), machine.isTls(), machine.mailFrom(),
                List.copyOf(machine.recipients()), b);
        env.recipients().forEach(r -> metrics.recipientDomainStored(r.domainLowerCase()));
        b.retain();
        long started = System.nanoTime();
        // No timeout of its own here: the delivery answers 451 only when the message will certainly not be stored.
        delivery.save(env)
                .whenComplete((ok, err) -> ctx.executor().execute(() -> stored(ctx, env, err, started)));
    }

    private void stored(ChannelHandlerContext ctx, Envelope env, Throwable err, long started) {
        env.body().release();
        long nanos = System.nanoTime() - started;
        metrics.storeLatency(nanos);
        Outcome o = machine.stored(err == null, env.queueId());
        if (mode == Mode.STORING) {
            enter(Mode.COMMANDS);
        }
        metrics.messageReplied(o.reply().code());
        LoggingEventBuilder line = (err == null ? log.atInfo().setMessage("message stored")
                : log.atWarn().setMessage("message not stored").addKeyValue("error", err.toString()))
                .addKeyValue("queue_id", env.queueId()).addKeyValue("conn", connId).addKeyValue("code", o.reply().code())
                .addKeyValue("client", env.clientIp()).addKeyValue("helo", env.helo()).addKeyValue("from", "<" + env.mailFrom() + ">")
                .addKeyValue("rcpts", env.recipients().size()).addKeyValue("to", firstRecipients(env.recipients()))
                .addKeyValue("size", env.body().size()).addKeyValue("store_us", nanos / 1000);
        withTls(line).log();
        if (!ctx.channel().isActive()) {
            return;
        }
        timers.commandDone();
        apply(ctx, o);
        ctx.flush();
        ctx.channel().config().setAutoRead(true);
        process(ctx);
        ctx.flush();
    }

    /** Like storing: stop reading until the off-loop check answers, then reply and go on. */
    private void startValidation(ChannelHandlerContext ctx) {
        enter(Mode.VALIDATING);
        ctx.channel().config().setAutoRead(false);
        delivery.validateRecipient(machine.pendingRecipient())
                .whenComplete((ok, err) -> ctx.executor().execute(() -> validated(ctx, ok, err)));
    }

    private void validated(ChannelHandlerContext ctx, Boolean ok, Throwable err) {
        if (mode == Mode.VALIDATING) {
            enter(Mode.COMMANDS);
        }
        String rcpt = "<" + machine.pendingRecipient() + ">";
        if (err != null) {
            log.atWarn().setMessage("recipient check failed").addKeyValue("conn", connId)
                    .addKeyValue("client", machine.clientAddress()).addKeyValue("to", rcpt)
                    .addKeyValue("error", err.toString()).log();
        }
        if (!ctx.channel().isActive()) {
            return;
        }
        Outcome o = machine.recipientValidated(err != null ? RecipientVerdict.TEMPFAIL
                : ok ? RecipientVerdict.ACCEPT : RecipientVerdict.REJECT);
        if (!o.reply().isPositive()) {
            recipientRefused(rcpt, o.reply());
        }
        apply(ctx, o);
        ctx.flush();
        ctx.channel().config().setAutoRead(true);
        process(ctx);
        ctx.flush();
    }

    /**
     * One line and one count per refused RCPT, as Postfix's {@code NOQUEUE: reject: RCPT from}: an
     * operator sees the relay attempts, unknown users and limits hit that never became a message.
     */
    private void recipientRefused(String rcpt, Reply reply) {
        metrics.recipientRefused(reply.code(), reply.enhancedCode());
        MailAddress from = machine.mailFrom();
        log.atInfo().setMessage("recipient refused").addKeyValue("conn", connId)
                .addKeyValue("client", machine.clientAddress()).addKeyValue("code", reply.code())
                .addKeyValue("status", reply.enhancedCode()).addKeyValue("helo", machine.helo())
                .addKeyValue("from", from == null ? "" : "<" + from + ">").addKeyValue("to", rcpt).log();
    }

    /** The path of a RCPT argument as the client wrote it ({@code TO:<a@b> PARAM} gives {@code <a@b> PARAM}). */
    private static String pathOf(String argument) {
        String a = argument.strip();
        return a.regionMatches(true, 0, "TO:", 0, 3) ? a.substring(3).strip() : a;
    }

    /** The first {@link #LOGGED_RECIPIENTS} recipients for the "message stored" line; the count stands beside them. */
    private static String firstRecipients(List<MailAddress> rcpts) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(rcpts.size(), LOGGED_RECIPIENTS); i++) {
            b.append(i == 0 ? "" : ",").append('<').append(rcpts.get(i)).append('>');
        }
        return rcpts.size() > LOGGED_RECIPIENTS ? b.append(",...").toString() : b.toString();
    }

    private void write(ChannelHandlerContext ctx, Reply reply) {
        ctx.write(Unpooled.wrappedBuffer(reply.wire()), ctx.voidPromise());
    }

    /** Flushes what is written and closes; {@code how} says whether the connection was ever opened. */
    private void close(ChannelHandlerContext ctx, Mode how) {
        if (!mode.closing()) {
            enter(how);
        }
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
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timers != null) {
            timers.stop();
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
        if (mode != Mode.NEW && mode != Mode.REFUSED) {
            metrics.connectionClosed();
            LoggingEventBuilder line = log.atInfo().setMessage("connection closed").addKeyValue("conn", connId)
                    .addKeyValue("client", clientIp).addKeyValue("duration_ms", (System.nanoTime() - openedAt) / 1_000_000)
                    .addKeyValue("messages", messages);
            withTls(line).log();
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
            if (!mode.closing()) {
                write(ctx, Replies.OUT_OF_MEMORY);
                close(ctx, Mode.CLOSING);
            }
            return;
        }
        if (fromPeer(cause)) {
            // Resets, broken pipes, TLS records that are not TLS: the client's doing, routine on the internet.
            log.atDebug().setMessage("connection failed").addKeyValue("conn", connId).addKeyValue("client", clientIp)
                    .addKeyValue("error", cause.toString()).log();
            ctx.close();
            return;
        }
        log.atWarn().setMessage("session failed").addKeyValue("conn", connId).addKeyValue("client", clientIp)
                .addKeyValue("error", cause.toString()).setCause(cause).log();
        if (mode.closing()) {
            ctx.close();
            return;
        }
        write(ctx, Replies.INTERNAL_ERROR);
        close(ctx, Mode.CLOSING);
    }

    /** An I/O error anywhere in the cause chain (Netty wraps TLS errors in a DecoderException). */
    private static boolean fromPeer(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return true;
            }
        }
        return false;
    }
}
