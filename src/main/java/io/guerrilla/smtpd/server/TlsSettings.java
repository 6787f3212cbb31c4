package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.config.TlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;

import javax.net.ssl.SSLException;
import java.time.Duration;

/**
 * A listener's TLS, resolved: one shared context (it is thread-safe and holds the key once) from
 * which every connection gets its own {@link SslHandler}.
 *
 * @param startTls offer STARTTLS on the plaintext connection (RFC 3207)
 * @param implicit handshake first, then the greeting inside TLS (RFC 8314, port 465)
 */
public record TlsSettings(SslContext context, boolean startTls, boolean implicit, Duration handshakeTimeout) {

    /** Null when the section turns TLS off. */
    static TlsSettings from(TlsConfig c) {
        if (c == null || !c.enabled()) {
            return null;
        }
        try {
            return new TlsSettings(c.newServerContext(), c.startTls, c.implicit, Duration.ofSeconds(c.handshakeTimeout));
        } catch (SSLException e) {
            throw new IllegalStateException("tls: cannot load certificate and key: " + e.getMessage(), e);
        }
    }

    SslHandler newHandler(ByteBufAllocator alloc) {
        SslHandler h = context.newHandler(alloc);
        h.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        return h;
    }
}
