package io.guerrilla.smtpd.admin;

import io.guerrilla.smtpd.app.Daemon;
import io.guerrilla.smtpd.config.HostPort;
import io.guerrilla.smtpd.http.HttpListener;
import io.guerrilla.smtpd.metrics.PrometheusMetrics;
import io.guerrilla.smtpd.server.SmtpServer;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The admin HTTP listener: {@code /healthz}, {@code /readyz}, {@code /metrics} (Prometheus text),
 * {@code /api/stats} (JSON) and the live {@code /dashboard} (see {@link Dashboard}).
 *
 * <p>Served by an {@link HttpListener} of its own, on its own worker threads: {@code /readyz} runs a
 * blocking store query, which can never stall an SMTP event loop or be starved by SMTP load, and a
 * client that opens connections and stops halfway through its request holds no worker, so it cannot
 * blind the health checks (the JDK's HttpServer, used before, served one request at a time).
 */
public final class AdminServer implements AutoCloseable {
    /** Workers: probes and scrapes are short; several so a slow /readyz (store ping) never queues /healthz. */
    static final int MAX_THREADS = 8;
    /** Seconds a connection may make no progress, headers included: a probe sends its request at once. */
    static final int IDLE_TIMEOUT_SECONDS = 10;
    /** Request line and headers: a probe sends a few hundred octets. */
    static final int MAX_HEADER_BYTES = 8 * 1024;
    /** Connections open at once: far above scrapers and probes, bounded against a connection flood. */
    static final int MAX_CONNECTIONS = 1024;
    /** The admin endpoints read no request body. */
    static final long MAX_REQUEST_BODY_BYTES = 1024;

    private final HttpListener http;
    private final Dashboard dashboard;

    private AdminServer(HttpListener http, Dashboard dashboard) {
        this.http = http;
        this.dashboard = dashboard;
    }

    public static AdminServer start(HostPort address, PrometheusMetrics metrics, Daemon daemon) {
        long startedAt = System.currentTimeMillis();
        HttpListener.Routes routes = r -> {
            probe(r, "/healthz", ctx -> text(ctx, 200, "text/plain", "ok\n"));
            probe(r, "/readyz", ctx -> readyz(ctx, daemon));
            probe(r, "/metrics", ctx -> text(ctx, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
            probe(r, "/api/stats", ctx -> text(ctx, 200, "application/json",
                    HttpListener.JSON.writeValueAsString(stats(startedAt, metrics, daemon))));
        };
        HttpListener.Settings s = new HttpListener.Settings("admin-http", address, MAX_THREADS, IDLE_TIMEOUT_SECONDS,
                MAX_HEADER_BYTES, MAX_CONNECTIONS, MAX_REQUEST_BODY_BYTES);
        Dashboard dashboard = new Dashboard(new DashboardSampler(metrics, dashboardView(daemon), Clock.systemUTC()));
        HttpListener http;
        try {
            http = HttpListener.start(s, null, List.of(routes, dashboard::routes));
        } catch (RuntimeException e) {
            dashboard.close();
            throw e;
        }
        dashboard.start();
        return new AdminServer(http, dashboard);
    }

    /** GET and HEAD only (HEAD gets the headers without the body): anything else is a caller's mistake worth seeing. */
    private static void probe(RoutesConfig r, String path, Handler handler) {
        r.get(path, handler);
        r.head(path, handler);
    }

    public InetSocketAddress address() {
        return http.address();
    }

    private static void readyz(Context ctx, Daemon daemon) {
        if (daemon.isDraining()) {
            text(ctx, 503, "text/plain", "shutting down\n");
        } else if (!daemon.hasFreeSpace()) {
            text(ctx, 503, "text/plain", "free space below min_free_space\n");
        } else if (daemon.isReady()) {
            text(ctx, 200, "text/plain", "ready\n");
        } else {
            text(ctx, 503, "text/plain", "store unreachable\n");
        }
    }

    private static void text(Context ctx, int status, String type, String body) {
        ctx.status(status).contentType(type).header("Cache-Control", "no-store").result(body);
    }

    private static Map<String, Object> stats(long startedAt, PrometheusMetrics metrics, Daemon daemon) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("uptime_seconds", (System.currentTimeMillis() - startedAt) / 1000);
        s.put("draining", daemon.isDraining());
        s.put("sessions_open", daemon.openSessions());
        s.put("saves_in_flight", daemon.savesInFlight());
        List<String> listeners = daemon.servers().stream().map(AdminServer::describe).toList();
        s.put("listeners", listeners);
        s.putAll(metrics.stats());
        return s;
    }

    private static DashboardSampler.Server dashboardView(Daemon daemon) {
        return new DashboardSampler.Server() {
            @Override
            public int storeQueue() {
                // No listener means no store was opened (serve --no-smtp).
                return daemon.servers().isEmpty() ? 0 : daemon.storeStats().queued();
            }

            @Override
            public int savesInFlight() {
                return daemon.savesInFlight();
            }

            @Override
            public boolean storeHealthy() {
                return daemon.isHealthy();
            }

            @Override
            public boolean freeSpace() {
                return daemon.hasFreeSpace();
            }

            @Override
            public boolean draining() {
                return daemon.isDraining();
            }
        };
    }

    private static String describe(SmtpServer server) {
        InetSocketAddress a = server.boundAddress();
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    @Override
    public void close() {
        dashboard.close();
        http.close();
    }
}
