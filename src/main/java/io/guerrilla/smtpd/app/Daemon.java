package io.guerrilla.smtpd.app;

import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.config.ListenerConfig;
import io.guerrilla.smtpd.server.ListenerSettings;
import io.guerrilla.smtpd.server.SmtpServer;
import io.guerrilla.smtpd.server.Transport;
import io.guerrilla.smtpd.pipeline.Pipeline;
import io.guerrilla.smtpd.store.MailStore;
import io.guerrilla.smtpd.store.SqlStore;
import io.guerrilla.smtpd.store.StoreException;
import io.guerrilla.smtpd.store.StoreStats;
import io.netty.channel.EventLoopGroup;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Wires a config into a running server: store first (so nothing is accepted that cannot be stored), then the listener. */
public final class Daemon implements AutoCloseable {
    private final GuerrillaConfig config;
    private final Transport transport = Transport.best();
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private ExecutorService processing;
    private MailStore store;
    private Pipeline pipeline;
    private final List<SmtpServer> servers = new ArrayList<>();

    public Daemon(GuerrillaConfig config) {
        this.config = config;
    }

    public InetSocketAddress start() throws StoreException, InterruptedException {
        int cores = Runtime.getRuntime().availableProcessors();
        processing = Executors.newFixedThreadPool(cores, r -> {
            Thread t = new Thread(r, "processing");
            t.setDaemon(true);
            return t;
        });
        store = new SqlStore(config.store);
        store.open();
        pipeline = Pipeline.create(config.store, store, processing);
        boss = transport.newGroup(1);
        workers = transport.newGroup(cores);
        List<InetSocketAddress> bound = new ArrayList<>();
        for (ListenerConfig listener : config.listeners()) {
            SmtpServer server = new SmtpServer(ListenerSettings.from(listener, config.store), pipeline, transport, boss,
                    workers);
            servers.add(server);
            bound.add(server.start());
        }
        return bound.get(0);
    }

    /** Cheap (no I/O): whether the store and every service the pipeline writes to were reachable at the last attempt. */
    public boolean isHealthy() {
        return pipeline != null && pipeline.isHealthy();
    }

    /** Store counters for metrics; cheap (no I/O). */
    public StoreStats storeStats() {
        return store.stats();
    }

    /** The running listeners, in config order. */
    public List<SmtpServer> servers() {
        return List.copyOf(servers);
    }

    @Override
    public void close() {
        servers.forEach(SmtpServer::close);
        if (boss != null) {
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (store != null) {
            store.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        if (processing != null) {
            processing.shutdown();
        }
    }
}
