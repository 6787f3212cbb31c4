package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.metrics.ServerMetrics;
import io.guerrilla.smtpd.smtp.Replies;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps the connections open at once. A connection over the cap is told 421 4.7.0 and closed at once:
 * accepting and refusing costs far less than leaving clients stuck in the listen backlog, and the
 * sender retries later (go-guerrilla instead stops accepting, which stalls everyone).
 */
@ChannelHandler.Sharable
public final class GlobalConnectionLimiter extends ChannelInboundHandlerAdapter {
    private final AtomicInteger open = new AtomicInteger();
    private final ServerMetrics metrics;
    private volatile int maxClients;

    public GlobalConnectionLimiter(int maxClients, ServerMetrics metrics) {
        this.maxClients = maxClients;
        this.metrics = metrics;
    }

    public void setMaxClients(int maxClients) {
        this.maxClients = maxClients;
    }

    public int open() {
        return open.get();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (open.incrementAndGet() > maxClients) {
            metrics.connectionRejected("max_clients");
            ctx.writeAndFlush(Unpooled.wrappedBuffer(Replies.TOO_MANY_CONNECTIONS.wire()))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        open.decrementAndGet();
        ctx.fireChannelInactive();
    }
}
