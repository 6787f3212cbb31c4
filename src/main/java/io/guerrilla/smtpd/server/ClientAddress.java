package io.guerrilla.smtpd.server;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;

/**
 * The client a connection is really from: what a trusted proxy's PROXY header said, else the TCP
 * peer. Per-client limits and the stored ip_addr use this, never the proxy's own address.
 */
public final class ClientAddress {
    static final AttributeKey<InetSocketAddress> PROXIED = AttributeKey.valueOf("guerrilla.proxiedClient");

    private ClientAddress() {
    }

    /** Null only for a channel that is not an IP socket. */
    public static InetSocketAddress of(Channel ch) {
        InetSocketAddress proxied = ch.attr(PROXIED).get();
        if (proxied != null) {
            return proxied;
        }
        return ch.remoteAddress() instanceof InetSocketAddress a ? a : null;
    }

    /** The address as text ("" when unknown), as stored in ip_addr; IPv6 in RFC 5952 short form. */
    public static String ip(Channel ch) {
        InetSocketAddress a = of(ch);
        return a == null || a.getAddress() == null ? "" : NetUtil.toAddressString(a.getAddress());
    }
}
