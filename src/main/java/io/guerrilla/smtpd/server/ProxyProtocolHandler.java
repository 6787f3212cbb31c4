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
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

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
            line(log.atInfo(), ctx, "connection refused").addKeyValue("reason", "untrusted_proxy").log();
            ctx.writeAndFlush(Unpooled.wrappedBuffer(Replies.UNTRUSTED_PROXY.wire()))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        timeout = ctx.executor().schedule(() -> {
            line(log.atInfo(), ctx, "session timed out").addKeyValue("reason", "proxy_header")
                    .addKeyValue("timeout_s", trust.proxyTimeout().toSeconds()).log();
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
            line(log.atDebug(), ctx, "PROXY header").addKeyValue("version", header.protocolVersion())
                    .addKeyValue("proxied_client", client == null ? "" : NetUtil.toSocketAddressString(client)).log();
        } finally {
            header.release();
        }
        cancelTimeout();
        ctx.fireChannelActive();
        ctx.pipeline().remove(this);
    }

    /** The session handler's shape: the connection id and the peer (here the proxy) as key-values. */
    private static LoggingEventBuilder line(LoggingEventBuilder level, ChannelHandlerContext ctx, String message) {
        String peer = ctx.channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                ? NetUtil.toAddressString(a.getAddress()) : String.valueOf(ctx.channel().remoteAddress());
        return level.setMessage(message).addKeyValue("conn", ctx.channel().id().asShortText()).addKeyValue("client", peer);
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
            line(log.atInfo(), ctx, "bad PROXY header").addKeyValue("error", String.valueOf(cause.getMessage())).log();
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
