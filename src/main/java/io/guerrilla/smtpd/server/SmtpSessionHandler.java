package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.codec.CommandLine;
import io.guerrilla.smtpd.codec.SmtpFramer;
import io.guerrilla.smtpd.mail.Envelope;
import io.guerrilla.smtpd.mail.MessageBody;
import io.guerrilla.smtpd.mail.QueueIds;
import io.guerrilla.smtpd.smtp.Action;
import io.guerrilla.smtpd.smtp.DataResult;
import io.guerrilla.smtpd.smtp.Outcome;
import io.guerrilla.smtpd.smtp.Replies;
import io.guerrilla.smtpd.smtp.Reply;
import io.guerrilla.smtpd.smtp.SessionStateMachine;
import io.guerrilla.smtpd.smtp.SmtpCommand;
import io.guerrilla.smtpd.store.MailStore;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The I/O side of one SMTP connection: feeds bytes to the {@link SmtpFramer}, commands to the
 * {@link SessionStateMachine}, writes the replies and carries out the actions. Everything runs on the
 * channel's event loop; the only slow work, storing, is handed to the {@link MailStore} and its result
 * comes back to the event loop.
 *
 * <p>While a message is being stored the handler parses nothing more, and stops reading (autoRead off)
 * once the client has sent {@link #MAX_READ_AHEAD_WHILE_STORING} octets ahead, so a client cannot
 * have a second message in flight nor make the server buffer without bound; pipelined commands
 * already read wait in the cumulation buffer and are handled after the 250.
 * Replies are written as commands are handled and flushed when the input is drained, so a pipelined
 * group (RFC 2920) costs one write.
 */
final class SmtpSessionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(SmtpSessionHandler.class);
    /**
     * Octets a client may send ahead while its message is being stored before the connection stops
     * reading. Reading is paused only then, not for every message: a client that waits for its 250,
     * as almost all do, costs no epoll_ctl calls to switch reading off and on again.
     */
    static final int MAX_READ_AHEAD_WHILE_STORING = 64 * 1024;

    private final ListenerSettings settings;
    private final MailStore store;
    private final SmtpFramer framer;
    private final SessionStateMachine machine;

    private ByteBuf cumulation;
    private MessageBody body;
    private String clientIp = "";
    private boolean inData;
    private boolean storing;
    private boolean closing;

    SmtpSessionHandler(ListenerSettings settings, MailStore store) {
        this.settings = settings;
        this.store = store;
        this.framer = new SmtpFramer(settings.maxCommandLine(), settings.maxDataLine(), settings.bareNewline());
        this.machine = new SessionStateMachine(settings.policy());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress a) {
            clientIp = a.getAddress().getHostAddress();
        }
        log.debug("connect {} from {}", ctx.channel().id(), clientIp);
        write(ctx, machine.greeting());
        ctx.flush();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (closing) {
            in.release();
            return;
        }
        cumulation = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        if (storing && cumulation.readableBytes() > MAX_READ_AHEAD_WHILE_STORING) {
            ctx.channel().config().setAutoRead(false);
        }
        process(ctx);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    private void process(ChannelHandlerContext ctx) {
        while (cumulation != null && cumulation.isReadable() && !storing && !closing) {
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
                apply(ctx, line.kind() == CommandLine.Kind.LINE
                        ? machine.handle(SmtpCommand.parse(line.text()))
                        : machine.rejectLine(rejection(line.kind())));
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
    }

    private static Reply rejection(CommandLine.Kind kind) {
        return switch (kind) {
            case TOO_LONG -> Replies.LINE_TOO_LONG;
            case BARE_NEWLINE -> Replies.BARE_NEWLINE_IN_COMMAND;
            case INVALID_UTF8, LINE -> Replies.INVALID_UTF8;
        };
    }

    private void apply(ChannelHandlerContext ctx, Outcome o) {
        if (o.reply() != null) {
            write(ctx, o.reply());
        }
        switch (o.action()) {
            case START_DATA -> {
                body = new MessageBody(ctx.alloc(), settings.policy().maxMessageSize(), settings.spillThreshold(),
                        settings.spillDirectory());
                framer.startData();
                inData = true;
            }
            case STORE -> startStore(ctx);
            case CLOSE -> close(ctx);
            case NONE -> {
            }
        }
    }

    private void endOfData(ChannelHandlerContext ctx) {
        inData = false;
        DataResult result = new DataResult(body.size(), body.tooBig(), framer.bareNewlineSeen(), framer.lineTooLong());
        Outcome o = machine.endOfData(result);
        if (o.action() != Action.STORE) {
            log.info("rejected message from {} size={}: {}", clientIp, result.size(), o.reply());
            body.release();
            body = null;
        }
        apply(ctx, o);
    }

    private void startStore(ChannelHandlerContext ctx) {
        storing = true;
        MessageBody b = body;
        body = null;
        Envelope env = new Envelope(QueueIds.next(), Instant.now(), settings.policy().hostName(), clientIp,
                machine.helo(), machine.receivedProtocol(), machine.isTls(), machine.mailFrom(),
                List.copyOf(machine.recipients()), b);
        b.retain();
        long started = System.nanoTime();
        store.save(env)
                .orTimeout(settings.storeTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ok, err) -> ctx.executor().execute(() -> stored(ctx, env, err, started)));
    }

    private void stored(ChannelHandlerContext ctx, Envelope env, Throwable err, long started) {
        env.body().release();
        storing = false;
        long micros = (System.nanoTime() - started) / 1000;
        if (err == null) {
            log.info("stored {} from=<{}> rcpts={} size={} client={} in {}us", env.queueId(), env.mailFrom(),
                    env.recipients().size(), env.body().size(), clientIp, micros);
        } else {
            log.warn("not stored {} from=<{}> client={}: {}", env.queueId(), env.mailFrom(), clientIp, err.toString());
        }
        if (!ctx.channel().isActive()) {
            return;
        }
        apply(ctx, machine.stored(err == null, env.queueId()));
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
        // A client waiting for its 250 is not idle: the store's own timeout answers it.
        if (evt instanceof IdleStateEvent && !storing && !closing) {
            log.info("timeout {} client={}", ctx.channel().id(), clientIp);
            write(ctx, Replies.TIMEOUT);
            close(ctx);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
        if (body != null) {
            body.release();
            body = null;
        }
        log.debug("disconnect {} from {}", ctx.channel().id(), clientIp);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("connection {} from {} failed: {}", ctx.channel().id(), clientIp, cause.toString());
        ctx.close();
    }
}
