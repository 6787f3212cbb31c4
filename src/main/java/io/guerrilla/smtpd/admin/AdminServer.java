package io.guerrilla.smtpd.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.guerrilla.smtpd.app.Daemon;
import io.guerrilla.smtpd.config.HostPort;
import io.guerrilla.smtpd.metrics.PrometheusMetrics;
import io.guerrilla.smtpd.server.SmtpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The admin HTTP listener: {@code /healthz}, {@code /readyz}, {@code /metrics} (Prometheus text) and
 * {@code /api/stats} (JSON).
 *
 * <p>Built on the JDK's {@code com.sun.net.httpserver} rather than Netty's HTTP codec on the SMTP
 * event loops: the traffic is a scrape every few seconds, it needs no dependency, and {@code /readyz}
 * runs a blocking store query, which here runs on the admin's own thread and can never stall an SMTP
 * event loop or be starved by SMTP load.
 */
public final class AdminServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final HttpServer http;
    private final ExecutorService executor;
    private final PrometheusMetrics metrics;
    private final Daemon daemon;
    private final long startedAt = System.currentTimeMillis();

    private AdminServer(HttpServer http, ExecutorService executor, PrometheusMetrics metrics, Daemon daemon) {
        this.http = http;
        this.executor = executor;
        this.metrics = metrics;
        this.daemon = daemon;
    }

    public static AdminServer start(HostPort address, PrometheusMetrics metrics, Daemon daemon) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(address.host(), address.port()), 0);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "admin-http");
            t.setDaemon(true);
            return t;
        });
        AdminServer admin = new AdminServer(http, executor, metrics, daemon);
        http.createContext("/healthz", ex -> admin.respond(ex, 200, "text/plain", "ok\n"));
        http.createContext("/readyz", admin::readyz);
        http.createContext("/metrics", ex -> admin.respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                metrics.scrape()));
        http.createContext("/api/stats", ex -> admin.respond(ex, 200, "application/json",
                JSON.writeValueAsString(admin.stats())));
        http.setExecutor(executor);
        http.start();
        return admin;
    }

    public InetSocketAddress address() {
        return http.getAddress();
    }

    private void readyz(HttpExchange ex) throws IOException {
        if (daemon.isDraining()) {
            respond(ex, 503, "text/plain", "shutting down\n");
        } else if (!daemon.hasFreeSpace()) {
            respond(ex, 503, "text/plain", "free space below min_free_space\n");
        } else if (daemon.isReady()) {
            respond(ex, 200, "text/plain", "ready\n");
        } else {
            respond(ex, 503, "text/plain", "store unreachable\n");
        }
    }

    private Map<String, Object> stats() {
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

    private static String describe(SmtpServer server) {
        InetSocketAddress a = server.boundAddress();
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** Exact paths only, and only GET and HEAD: anything else is a caller's mistake worth seeing. */
    private void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            if (!ex.getRequestURI().getPath().equals(ex.getHttpContext().getPath())) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                ex.sendResponseHeaders(405, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            if (method.equals("HEAD")) {
                ex.sendResponseHeaders(status, -1);
                return;
            }
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        // No grace period: a scrape cut short by a stop is simply retried by the scraper.
        http.stop(0);
        executor.shutdown();
    }
}
