package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.config.TrustedNetworks;
import io.guerrilla.smtpd.smtp.Replies;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Reads the PROXY protocol v1/v2 header (decoded by Netty's {@link HAProxyMessageDecoder}, which
 * sits just before this handler and removes itself after one header) and records the real client
 * in {@link ClientAddress}. Until then it holds back channelActive, so the greeting and every later
 * handler wait for the header; after it, both handlers are gone and a second PROXY line is just an
 * unknown SMTP command.
 *
 * <p>A peer outside the trusted proxies gets 421 4.7.0 and is closed before anything it sent is
 * read: believing its header would let anyone choose the address that is stored and limited. A
 * malformed header, or none within the timeout, closes the connection without a reply (the peer
 * is a broken proxy, not an SMTP client).
 */
final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ProxyProtocolHandler.class);

    private final ClientTrust trust;
    private ScheduledFuture<?> timeout;
    private boolean refused;

    ProxyProtocolHandler(ClientTrust trust) {
        this.trust = trust;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (!trust.proxies().contains(ctx.channel().remoteAddress())) {
            refused = true;
            log.info("refused {}: not a trusted proxy, but this listener requires a PROXY header",
                    ctx.channel().remoteAddress());
            ctx.writeAndFlush(Unpooled.wrappedBuffer(Replies.UNTRUSTED_PROXY.wire()))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        timeout = ctx.executor().schedule(() -> {
            log.info("no PROXY header from {} within {}s, closing", ctx.channel().remoteAddress(),
                    trust.proxyTimeout().toSeconds());
            ctx.close();
        }, trust.proxyTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Bytes reach this handler only before a valid header (after it, the handler is gone):
        // they are what a refused peer or a broken header left behind, and nobody may read them.
        if (refused || !(msg instanceof HAProxyMessage header)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            InetSocketAddress client = clientOf(header);
            if (client != null) {
                ctx.channel().attr(ClientAddress.PROXIED).set(client);
            }
            log.debug("PROXY {} from {}: client {}", header.protocolVersion(), ctx.channel().remoteAddress(),
                    client == null ? "(the proxy itself)" : client);
        } finally {
            header.release();
        }
        cancelTimeout();
        ctx.fireChannelActive();
        ctx.pipeline().remove(this);
    }

    /** LOCAL (a proxy's health check) and UNKNOWN families name no client: the proxy is the client. */
    private static InetSocketAddress clientOf(HAProxyMessage h) {
        if (h.command() != HAProxyCommand.PROXY || h.sourceAddress() == null) {
            return null;
        }
        InetAddress ip = TrustedNetworks.literal(h.sourceAddress());
        return ip == null ? null : new InetSocketAddress(ip, h.sourcePort());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!refused) {
            log.info("bad PROXY header from {}: {}", ctx.channel().remoteAddress(), cause.getMessage());
        }
        refused = true;
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimeout();
        ctx.fireChannelInactive();
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }
}
