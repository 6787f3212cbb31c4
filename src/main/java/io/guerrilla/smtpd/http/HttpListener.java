package io.guerrilla.smtpd.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.guerrilla.smtpd.config.HostPort;
import io.guerrilla.smtpd.server.ListenException;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.util.JavalinBindException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One HTTP listener (Javalin on Jetty 12), built in one place for both the admin endpoints and the
 * mail-reading API, so every listener gets the same protections: its own worker threads (never an
 * SMTP event loop), an idle timeout that also bounds how long request headers may take, a cap on
 * header size and on open connections, TLS that a reload can swap, and JSON errors without stack
 * traces. Jetty parses requests without holding a thread while it waits for bytes, so a client that
 * stops halfway through its headers costs a socket, not a worker.
 *
 * <p>Routes come in groups ({@link Routes}); a feature adds its group to the list it is started with.
 */
public final class HttpListener implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpListener.class);
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Threads kept while idle: enough that a probe never waits for a thread to be started. */
    static final int MIN_THREADS = 4;
    /** Seconds before the Jetty stop gives up on requests in progress: a reader simply retries. */
    static final long STOP_TIMEOUT_MS = 2000;

    /** A feature's routes, registered on the listener when it is built. */
    @FunctionalInterface
    public interface Routes {
        void register(RoutesConfig routes);
    }

    /** What a listener needs besides its routes. */
    public record Settings(String name, HostPort address, int maxThreads, int idleTimeoutSeconds,
                           int maxHeaderBytes, int maxConnections, long maxRequestBodyBytes) {
    }

    private final Javalin app;
    private final SslContextFactory.Server tls;
    private final String name;

    private HttpListener(Javalin app, SslContextFactory.Server tls, String name) {
        this.app = app;
        this.tls = tls;
        this.name = name;
    }

    /**
     * Binds and starts; a port that cannot be bound throws {@link ListenException} naming the address.
     *
     * @param sslContext null for plain HTTP
     */
    public static HttpListener start(Settings s, SSLContext sslContext, List<Routes> groups) {
        SslContextFactory.Server tls = null;
        if (sslContext != null) {
            tls = new SslContextFactory.Server();
            tls.setSslContext(sslContext);
        }
        SslContextFactory.Server tlsFactory = tls;
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = s.maxRequestBodyBytes();
            config.http.prefer405over404 = true;
            QueuedThreadPool threads = new QueuedThreadPool(s.maxThreads(), Math.min(MIN_THREADS, s.maxThreads()));
            threads.setName(s.name());
            threads.setDaemon(true);
            config.jetty.threadPool = threads;
            config.jetty.modifyServer(server -> {
                server.setStopTimeout(STOP_TIMEOUT_MS);
                server.setErrorHandler(new JsonErrors());
                server.addBean(new ConnectionLimit(s.maxConnections(), server));
            });
            config.jetty.addConnector((server, httpConfig) -> connector(server, httpConfig, s, tlsFactory));
            config.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e.status(), e.getMessage(), e.parameter()));
            config.routes.exception(Exception.class, (e, ctx) -> {
                log.error("{} {} failed", s.name(), ctx.method(), e);
                error(ctx, 500, "internal error", null);
            });
            // Javalin's own refusals (no such endpoint, wrong method, body too large) echo the request
            // path in their text: answered with the status's standard reason instead.
            config.routes.exception(HttpResponseException.class, (e, ctx) -> {
                String reason = HttpStatus.getMessage(e.getStatus());
                error(ctx, e.getStatus(), reason == null ? "error " + e.getStatus() : reason, null);
            });
            for (Routes g : groups) {
                g.register(config.routes);
            }
        });
        try {
            app.start();
        } catch (JavalinBindException e) {
            // Jetty wraps the system's BindException ("Address already in use") in its own IOException.
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw new ListenException(s.address(), root);
        }
        return new HttpListener(app, tls, s.name());
    }

    private static ServerConnector connector(org.eclipse.jetty.server.Server server, HttpConfiguration httpConfig,
                                             Settings s, SslContextFactory.Server tls) {
        httpConfig.setRequestHeaderSize(s.maxHeaderBytes());
        httpConfig.setSendServerVersion(false);
        httpConfig.setIdleTimeout(s.idleTimeoutSeconds() * 1000L);
        HttpConnectionFactory http = new HttpConnectionFactory(httpConfig);
        ServerConnector c = tls == null ? new ServerConnector(server, http)
                : new ServerConnector(server, new SslConnectionFactory(tls, http.getProtocol()), http);
        c.setHost(s.address().host());
        c.setPort(s.address().port());
        c.setIdleTimeout(s.idleTimeoutSeconds() * 1000L);
        c.setName(s.name());
        return c;
    }

    /**
     * Errors Jetty answers itself, before a route runs (headers too large, a malformed request line):
     * the same JSON as every other error, with the status's standard reason only (never an exception's text).
     */
    static final class JsonErrors extends ErrorHandler {
        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                        Callback callback) throws IOException {
            String reason = HttpStatus.getMessage(code);
            byte[] body = JSON.writeValueAsBytes(Map.of("error", reason == null ? "error " + code : reason));
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
            response.write(true, ByteBuffer.wrap(body), callback);
        }
    }

    /** Writes the JSON error every listener answers with: {@code {"error": ..., "parameter": ...}}. */
    public static void error(Context ctx, int status, String message, String parameter) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        if (parameter != null) {
            body.put("parameter", parameter);
        }
        json(ctx.status(status), body);
    }

    public static void json(Context ctx, Object body) {
        try {
            ctx.contentType("application/json; charset=utf-8").header("Cache-Control", "no-store")
                    .result(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    public InetSocketAddress address() {
        ServerConnector c = (ServerConnector) app.jettyServer().server().getConnectors()[0];
        try {
            String host = c.getHost() == null ? "0.0.0.0" : c.getHost();
            return new InetSocketAddress(InetAddress.getByName(host), c.getLocalPort());
        } catch (UnknownHostException e) {
            return InetSocketAddress.createUnresolved(c.getHost(), c.getLocalPort());
        }
    }

    public boolean tls() {
        return tls != null;
    }

    /** Puts a new certificate into service for new connections; open ones keep theirs. */
    public void reloadTls(SSLContext next) throws Exception {
        if (tls == null) {
            throw new IllegalStateException(name + " was started without TLS");
        }
        tls.reload(f -> f.setSslContext(next));
    }

    @Override
    public void close() {
        app.stop();
    }
}
