package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.pipeline.Pipeline;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** One SMTP listener: binds its address and gives each accepted connection its own session. */
public final class SmtpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SmtpServer.class);
    /** Pending connects the kernel may queue: bursts of thousands of connects must not be dropped. */
    static final int LISTEN_BACKLOG = 4096;

    private final ListenerSettings settings;
    private final Pipeline pipeline;
    private final Transport transport;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final ConnectionLimiter limiter;
    private final ClientLimiter clientLimiter;
    private Channel serverChannel;

    public SmtpServer(ListenerSettings settings, Pipeline pipeline, Transport transport, EventLoopGroup bossGroup,
                      EventLoopGroup workerGroup) {
        this.settings = settings;
        this.pipeline = pipeline;
        this.transport = transport;
        this.bossGroup = bossGroup;
        this.workerGroup = workerGroup;
        this.limiter = new ConnectionLimiter(settings.maxClients());
        this.clientLimiter = new ClientLimiter(settings.maxConnectionsPerIp(), settings.connectionRatePerIp());
    }

    /** Binds and returns the bound address (useful when the configured port is 0). */
    public InetSocketAddress start() throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, LISTEN_BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        long idle = settings.idleTimeout().toMillis();
                        ch.pipeline().addLast("limit", limiter);
                        addProxyAndTls(ch);
                        ch.pipeline()
                                .addLast("idle", new IdleStateHandler(idle, 0, 0, TimeUnit.MILLISECONDS))
                                .addLast("smtp", new SmtpSessionHandler(settings, pipeline, clientLimiter));
                    }
                });
        serverChannel = b.bind(settings.address().host(), settings.address().port()).sync().channel();
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        log.info("listening on {}:{} ({}), host_name {}{}", bound.getAddress().getHostAddress(), bound.getPort(),
                transport, settings.policy().hostName(), features());
        return bound;
    }

    /**
     * The PROXY header comes before anything else, TLS included (the proxy passes TLS through), so
     * its decoder goes first; implicit TLS then wraps everything the SMTP handler sees.
     */
    private void addProxyAndTls(SocketChannel ch) {
        if (settings.trust().proxyProtocol()) {
            ch.pipeline()
                    .addLast("proxy-decoder", new HAProxyMessageDecoder())
                    .addLast("proxy", new ProxyProtocolHandler(settings.trust()));
        }
        if (settings.tls() != null && settings.tls().implicit()) {
            ch.pipeline().addLast("ssl", settings.tls().newHandler(ch.alloc()));
        }
    }

    private String features() {
        StringBuilder sb = new StringBuilder();
        if (settings.tls() != null) {
            sb.append(settings.tls().implicit() ? ", implicit TLS" : "").append(settings.tls().startTls() ? ", STARTTLS" : "");
        }
        return sb.append(settings.trust().proxyProtocol() ? ", PROXY protocol" : "").toString();
    }

    /** The address actually bound (the configured port may be 0). */
    public InetSocketAddress boundAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    public int openConnections() {
        return limiter.open();
    }

    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
    }
}
