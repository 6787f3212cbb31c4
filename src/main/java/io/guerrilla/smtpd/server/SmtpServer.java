package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.config.HostPort;
import io.guerrilla.smtpd.mail.MemoryBudget;
import io.guerrilla.smtpd.metrics.ServerMetrics;
import io.guerrilla.smtpd.pipeline.Delivery;
import io.guerrilla.smtpd.smtp.StorageSpace;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One SMTP listener: binds its address and gives each accepted connection its own session.
 *
 * <p>Reload: {@link #update} swaps the settings atomically; each session reads them once, when it
 * connects, and keeps them to its end, so a reload never changes the rules in the middle of a
 * conversation (new allowed_hosts and limits apply to connections made after the reload).
 * {@link #close} closes only the listening socket: sessions already open run to their end.
 */
public final class SmtpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SmtpServer.class);
    /** Pending connects the kernel may queue: bursts of thousands of connects must not be dropped. */
    static final int LISTEN_BACKLOG = 4096;

    private final AtomicReference<ListenerSettings> settings;
    private final Delivery delivery;
    private final ServerMetrics metrics;
    private final ChannelGroup sessions = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private volatile boolean draining;
    private final Transport transport;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final GlobalConnectionLimiter limiter;
    private final PerAddressConnectionLimiter clientLimiter;
    private final Executor spillWriter;
    private final MemoryBudget bodyMemory;
    private final StorageSpace space;
    private Channel serverChannel;

    /**
     * @param spillWriter writes message bodies above spill_threshold to their files, off the event loops
     * @param bodyMemory  the direct memory all bodies being received may hold, shared by all listeners
     * @param space       the free space guard's last sample, which sessions consult at MAIL
     */
    public SmtpServer(ListenerSettings settings, Delivery delivery, Transport transport, EventLoopGroup bossGroup,
                      EventLoopGroup workerGroup, ServerMetrics metrics, Executor spillWriter, MemoryBudget bodyMemory,
                      StorageSpace space) {
        this.spillWriter = spillWriter;
        this.bodyMemory = bodyMemory;
        this.space = space;
        this.settings = new AtomicReference<>(settings);
        this.delivery = delivery;
        this.metrics = metrics;
        this.transport = transport;
        this.bossGroup = bossGroup;
        this.workerGroup = workerGroup;
        this.limiter = new GlobalConnectionLimiter(settings.maxClients(), metrics);
        this.clientLimiter = new PerAddressConnectionLimiter(settings.maxConnectionsPerIp(), settings.connectionRatePerIp());
    }

    /**
     * Binds and returns the bound address (useful when the configured port is 0).
     *
     * @throws ListenException when the address cannot be bound, naming it and why
     */
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
                        ListenerSettings current = settings.get();
                        sessions.add(ch);
                        ch.pipeline().addLast("limit", limiter);
                        addProxyAndTls(ch, current);
                        ch.pipeline()
                                .addLast("smtp", new SmtpSessionHandler(current, delivery, clientLimiter, metrics,
                                        () -> draining, spillWriter, bodyMemory, space));
                    }
                });
        HostPort address = settings.get().address();
        ChannelFuture bind = b.bind(address.host(), address.port()).await();
        if (!bind.isSuccess()) {
            throw new ListenException(address, bind.cause());
        }
        serverChannel = bind.channel();
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        ListenerSettings current = settings.get();
        log.atInfo().setMessage("listening on {}").addArgument(new HostPort(bound.getAddress().getHostAddress(), bound.getPort()))
                .addKeyValue("transport", transport.name().toLowerCase(Locale.ROOT))
                .addKeyValue("host_name", current.policy().hostName())
                .addKeyValue("tls", current.tls() == null ? "off"
                        : current.tls().implicit() ? "implicit" : current.tls().startTls() ? "starttls" : "off")
                .addKeyValue("proxy_protocol", current.trust().proxyProtocol())
                .addKeyValue("max_size", current.policy().maxMessageSize()).log();
        return bound;
    }

    /**
     * The PROXY header comes before anything else, TLS included (the proxy passes TLS through), so
     * its decoder goes first; implicit TLS then wraps everything the SMTP handler sees.
     */
    private static void addProxyAndTls(SocketChannel ch, ListenerSettings settings) {
        if (settings.trust().proxyProtocol()) {
            ch.pipeline()
                    .addLast("proxy-decoder", new HAProxyMessageDecoder())
                    .addLast("proxy", new ProxyProtocolHandler(settings.trust()));
        }
        if (settings.tls() != null && settings.tls().implicit()) {
            ch.pipeline().addLast("ssl", settings.tls().newHandler(ch.alloc()));
        }
    }

    /** The address actually bound (the configured port may be 0). */
    public InetSocketAddress boundAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    public int openConnections() {
        return limiter.open();
    }

    /** The settings new connections get. */
    public ListenerSettings settings() {
        return settings.get();
    }

    /**
     * New connections get {@code next}; open sessions keep what they started with. The address is
     * read only by {@link #start}: moving a listener means closing it and starting another.
     */
    public void update(ListenerSettings next) {
        settings.set(next);
        limiter.setMaxClients(next.maxClients());
        clientLimiter.limits(next.maxConnectionsPerIp(), next.connectionRatePerIp());
    }

    /**
     * Graceful shutdown, step two (after {@link #close}): every session answers its next command,
     * or at once if it is between commands, with 421 4.3.2 and closes; a message being received or
     * stored is finished and answered first.
     */
    public void drain() {
        draining = true;
        sessions.forEach(ch -> ch.pipeline().fireUserEventTriggered(SmtpSessionHandler.DRAIN));
    }

    /** Sessions of this listener still open (including ones whose listener socket is closed). */
    public int openSessions() {
        return sessions.size();
    }

    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
    }
}
