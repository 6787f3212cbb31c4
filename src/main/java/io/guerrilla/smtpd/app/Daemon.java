package io.guerrilla.smtpd.app;

import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.server.ListenerSettings;
import io.guerrilla.smtpd.server.SmtpServer;
import io.guerrilla.smtpd.server.Transport;
import io.guerrilla.smtpd.store.MailStore;
import io.guerrilla.smtpd.store.StoreException;
import io.guerrilla.smtpd.store.Stores;
import io.netty.channel.EventLoopGroup;

import java.net.InetSocketAddress;
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
    private SmtpServer server;

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
        store = Stores.create(config.store, processing);
        store.open();
        boss = transport.newGroup(1);
        workers = transport.newGroup(cores);
        server = new SmtpServer(ListenerSettings.from(config), store, transport, boss, workers);
        return server.start();
    }

    public SmtpServer server() {
        return server;
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (store != null) {
            store.close();
        }
        if (processing != null) {
            processing.shutdown();
        }
    }
}
