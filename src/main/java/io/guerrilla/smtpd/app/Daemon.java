package io.guerrilla.smtpd.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.config.HostPort;
import io.guerrilla.smtpd.config.Limits;
import io.guerrilla.smtpd.config.ListenerConfig;
import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.config.StoreType;
import io.guerrilla.smtpd.mail.MemoryBudget;
import io.guerrilla.smtpd.metrics.ServerMetrics;
import io.guerrilla.smtpd.pipeline.Pipeline;
import io.guerrilla.smtpd.pipeline.PipelineSettings;
import io.guerrilla.smtpd.pipeline.SwappableDelivery;
import io.guerrilla.smtpd.server.ListenException;
import io.guerrilla.smtpd.server.ListenerSettings;
import io.guerrilla.smtpd.server.SmtpServer;
import io.guerrilla.smtpd.server.Transport;
import io.guerrilla.smtpd.store.FreeSpaceGuard;
import io.guerrilla.smtpd.store.SqlSettings;
import io.guerrilla.smtpd.store.SqlStore;
import io.guerrilla.smtpd.store.StoreException;
import io.guerrilla.smtpd.store.StoreStats;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Wires a config into a running server: store first (so nothing is accepted that cannot be stored),
 * then the listeners; later swaps in a reloaded config, and drains on the way out.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    private static final ObjectMapper VALUES = new ObjectMapper();
    /** Poll interval while waiting for sessions to end: short against a stop measured in seconds. */
    private static final long DRAIN_POLL_MILLIS = 20;

    private volatile GuerrillaConfig config;
    private final ServerMetrics metrics;
    private final Transport transport = Transport.best();
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private ExecutorService processing;
    /** Spilled message bodies' file writes; blocking I/O, so never on an event loop (see MessageBody). */
    private ExecutorService spillWriter;
    /** Read once at start: a reload does not resize it. */
    private MemoryBudget bodyMemory;
    private SwappableDelivery delivery;
    private final Map<HostPort, SmtpServer> servers = new LinkedHashMap<>();
    /** Listeners removed by a reload whose sessions may still be running; drained on stop too. */
    private final List<SmtpServer> removed = new ArrayList<>();
    private final List<Thread> retiring = new ArrayList<>();
    private volatile boolean draining;
    private FreeSpaceGuard freeSpace;
    private RetentionTask retention;

    public Daemon(GuerrillaConfig config) {
        this(config, ServerMetrics.NONE);
    }

    public Daemon(GuerrillaConfig config, ServerMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
    }

    public synchronized InetSocketAddress start() throws StoreException, InterruptedException {
        int cores = Runtime.getRuntime().availableProcessors();
        processing = pool("processing", cores);
        spillWriter = pool("spill-writer", cores);
        bodyMemory = MemoryBudget.of(config.bodyMemory, Limits.BODY_MEMORY_SHARE);
        log.info("body memory {} octets", bodyMemory.limit());
        delivery = new SwappableDelivery(openDelivery(config));
        freeSpace = new FreeSpaceGuard(guardedDirectories(config), config.minFreeSpace, config.minFreeSpacePercent);
        freeSpace.start();
        retention = new RetentionTask(() -> this.config.retention, delivery::store, metrics, Clock.systemUTC());
        retention.start();
        boss = transport.newGroup(1);
        workers = transport.newGroup(cores);
        List<InetSocketAddress> bound = new ArrayList<>();
        for (ListenerConfig listener : config.listeners()) {
            SmtpServer server = newServer(listener);
            servers.put(server.settings().address(), server);
            bound.add(server.start());
        }
        return bound.get(0);
    }

    private static ExecutorService pool(String name, int threads) {
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Opens a store and the pipeline over it; the store is closed again if that fails. */
    private SwappableDelivery.Generation openDelivery(GuerrillaConfig c) throws StoreException {
        StoreConfig storeConfig = c.store;
        SqlStore store = new SqlStore(SqlSettings.from(storeConfig), metrics::batchCommitted);
        try {
            store.open();
            log.atInfo().setMessage("storing mail").addKeyValue("type", storeConfig.type.configName())
                    .addKeyValue("location", store.location()).addKeyValue("save_process", storeConfig.saveProcess).log();
            long largest = c.listeners().stream().mapToLong(l -> l.maxSize).max().orElse(0);
            if (store.maxMailBytes() < largest) {
                log.warn("max_size allows {} octets but the database takes at most {} in one row (MariaDB"
                        + " max_allowed_packet): larger messages will get 451 4.3.0; raise max_allowed_packet",
                        largest, store.maxMailBytes());
            }
            Pipeline.durabilityWarnings(storeConfig).forEach(w -> log.warn("{}", w));
            return new SwappableDelivery.Generation(Pipeline.create(PipelineSettings.from(storeConfig), store, processing), store,
                    Duration.ofSeconds(storeConfig.timeout));
        } catch (StoreException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private SmtpServer newServer(ListenerConfig listener) {
        return new SmtpServer(ListenerSettings.from(listener, config.nodeName), delivery, transport, boss, workers,
                metrics, spillWriter, bodyMemory, freeSpace);
    }

    /** Where received mail is written: the SQLite database's directory and every listener's spill directory. */
    private static List<Path> guardedDirectories(GuerrillaConfig c) {
        List<Path> dirs = new ArrayList<>();
        if (c.store.type == StoreType.SQLITE) {
            Path db = Path.of(c.store.path).toAbsolutePath();
            dirs.add(db.getParent() == null ? db : db.getParent());
        }
        for (ListenerConfig l : c.listeners()) {
            dirs.add(Path.of(l.spillDirectory.isEmpty() ? System.getProperty("java.io.tmpdir") : l.spillDirectory));
        }
        return dirs;
    }

    /** The running listeners, in config order. */
    public synchronized List<SmtpServer> servers() {
        return List.copyOf(servers.values());
    }

    public GuerrillaConfig config() {
        return config;
    }

    /**
     * Puts an already validated config into service without dropping connections. Everything that
     * can fail is done first (open the new store, bind the new listeners); only if all of it works
     * is anything switched, so a failure leaves the running config exactly as it was.
     *
     * <ul>
     *   <li>store: rebuilt only when the {@code store:} section changed; the old one keeps serving
     *       until the new one is open, then finishes its in-flight saves and closes;</li>
     *   <li>listeners, matched by listen_interface: kept ones get the new settings for new
     *       connections; new ones are bound; removed ones stop accepting while their open sessions
     *       run to their end.</li>
     * </ul>
     */
    public synchronized void reload(GuerrillaConfig next) throws ReloadException {
        if (draining) {
            throw new ReloadException("shutting down", null);
        }
        SwappableDelivery.Generation fresh = null;
        if (!sameValues(config.store, next.store)) {
            try {
                fresh = openDelivery(next);
            } catch (StoreException | RuntimeException e) {
                throw new ReloadException("store: " + e.getMessage(), e);
            }
        }
        Map<HostPort, SmtpServer> nextServers = new LinkedHashMap<>();
        List<SmtpServer> added = new ArrayList<>();
        try {
            for (ListenerConfig l : next.listeners()) {
                HostPort address = HostPort.parse(l.listenInterface);
                SmtpServer running = running(address);
                if (running != null) {
                    nextServers.put(address, running);
                } else {
                    SmtpServer server = newServer(l);
                    added.add(server);
                    server.start();
                    nextServers.put(address, server);
                }
            }
        } catch (Exception e) {
            added.forEach(SmtpServer::close);
            if (fresh != null) {
                fresh.retire(Duration.ZERO);
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new ReloadException("listener: " + (e instanceof ListenException ? e.getMessage() : e), e);
        }

        if (fresh != null) {
            retire(delivery.swap(fresh), Duration.ofSeconds(config.store.timeout));
        }
        for (ListenerConfig l : next.listeners()) {
            HostPort address = HostPort.parse(l.listenInterface);
            SmtpServer server = nextServers.get(address);
            if (!added.contains(server)) {
                server.update(ListenerSettings.from(l, config.nodeName));
            }
        }
        for (Map.Entry<HostPort, SmtpServer> e : servers.entrySet()) {
            if (!nextServers.containsValue(e.getValue())) {
                e.getValue().close();
                removed.add(e.getValue());
                log.info("stopped listening on {}; its {} open sessions finish", e.getKey(), e.getValue().openSessions());
            }
        }
        removed.removeIf(s -> s.openSessions() == 0);
        freeSpace.configure(guardedDirectories(next), next.minFreeSpace, next.minFreeSpacePercent);
        servers.clear();
        servers.putAll(nextServers);
        config = next;
    }

    /** The listener configured, or (for a configured port 0) bound, at this address; null if none. */
    private SmtpServer running(HostPort address) {
        SmtpServer byConfig = servers.get(address);
        if (byConfig != null) {
            return byConfig;
        }
        for (SmtpServer s : servers.values()) {
            InetSocketAddress bound = s.boundAddress();
            if (bound.getPort() == address.port() && bound.getAddress().getHostAddress().equals(address.host())) {
                return s;
            }
        }
        return null;
    }

    /** Closes the replaced pipeline and store once their in-flight saves are answered, off the reloading thread. */
    private void retire(SwappableDelivery.Generation old, Duration max) {
        Thread t = new Thread(() -> {
            if (!old.retire(max)) {
                log.warn("old store closed with saves still running after {}s", max.toSeconds());
            }
        }, "store-retire");
        retiring.add(t);
        t.start();
    }

    private static boolean sameValues(Object a, Object b) {
        return VALUES.valueToTree(a).equals(VALUES.valueToTree(b));
    }

    /**
     * Graceful stop: close every listening socket (new connections are refused), tell every session
     * to answer 421 4.3.2 once the message in hand (if any) is stored and answered, and wait at most
     * {@code max} for the sessions to end and the store to finish their saves.
     *
     * @return true when everything finished in time
     */
    public boolean drain(Duration max) {
        List<SmtpServer> all;
        synchronized (this) {
            draining = true;
            all = new ArrayList<>(servers.values());
            all.addAll(removed);
        }
        all.forEach(SmtpServer::close);
        all.forEach(SmtpServer::drain);
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            if (all.stream().allMatch(s -> s.openSessions() == 0) && delivery.inFlight() == 0) {
                return true;
            }
            try {
                Thread.sleep(DRAIN_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return delivery.awaitIdle(Duration.ZERO) && all.stream().allMatch(s -> s.openSessions() == 0);
    }

    public boolean isDraining() {
        return draining;
    }

    /**
     * Ready for mail: not stopping, free space above its reserve, and the store answers a query now;
     * blocks, so not on an event loop.
     */
    public boolean isReady() {
        return !draining && delivery != null && hasFreeSpace() && delivery.ping();
    }

    /** Cheap (no I/O): whether free space was above min_free_space at the last sample. */
    public boolean hasFreeSpace() {
        return freeSpace == null || freeSpace.available();
    }

    /** Cheap (no I/O): whether the store and every service the pipeline writes to were reachable at the last attempt. */
    public boolean isHealthy() {
        return delivery != null && delivery.isHealthy();
    }

    /** Store counters for metrics; cheap (no I/O). */
    public StoreStats storeStats() {
        return delivery.store().stats();
    }

    /** Sessions open on every listener, including listeners removed by a reload. */
    public synchronized int openSessions() {
        int n = removed.stream().mapToInt(SmtpServer::openSessions).sum();
        return n + servers.values().stream().mapToInt(SmtpServer::openSessions).sum();
    }

    /** Messages handed to the store and not yet answered. */
    public int savesInFlight() {
        return delivery == null ? 0 : delivery.inFlight();
    }

    @Override
    public void close() {
        synchronized (this) {
            servers.values().forEach(SmtpServer::close);
            removed.forEach(SmtpServer::close);
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (retention != null) {
            retention.close();
        }
        for (Thread t : retiring) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (delivery != null) {
            delivery.close();
        }
        if (processing != null) {
            processing.shutdown();
        }
        if (freeSpace != null) {
            freeSpace.close();
        }
        if (spillWriter != null) {
            spillWriter.shutdown();
        }
    }
}
