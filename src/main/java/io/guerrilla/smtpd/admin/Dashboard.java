package io.guerrilla.smtpd.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.guerrilla.smtpd.http.HttpListener;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The operator's live page on the admin listener: {@code /dashboard} (the HTML, its script and
 * style, all from the jar) and {@code /dashboard/events}, a Server-Sent Events stream of one
 * {@link DashboardSampler} sample a second, after the recent history.
 *
 * <p>The page is served with a Content-Security-Policy whose script nonce is new for every
 * response, so nothing but the page's own script runs; the script shows client-supplied text
 * (HELO names, addresses) only as text. The listener has no authentication, so the page only
 * answers requests addressed to an IP address or {@code localhost}: a web page whose host name a
 * DNS-rebinding attack pointed at the loopback address cannot read it.
 *
 * <p>A stream holds no request thread: samples are written by a small sender pool, one write in
 * flight per stream at most. A stream still busy when the next sample is due skips it, since only
 * the newest state matters, so a stalled client costs one sender thread until the listener's idle
 * timeout ends it, and never delays the others.
 */
final class Dashboard implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dashboard.class);
    /** One sample a second: rates per second, and a chart that moves visibly without a flood of events. */
    static final long SAMPLE_INTERVAL_MS = 1000;
    /** Dashboards open at once: an operator's few tabs; bounds the sender threads stalled clients can hold. */
    static final int MAX_STREAMS = 8;
    /** Milliseconds a browser waits before reconnecting a dropped stream. */
    static final int RETRY_MS = 2000;
    /** Octets of random nonce per page: 128 bits, as CSP Level 3 asks for. */
    static final int NONCE_BYTES = 16;
    private static final String RESOURCES = "/io/guerrilla/smtpd/admin/dashboard/";
    private static final String NONCE_PLACEHOLDER = "{{nonce}}";
    private static final ObjectWriter LINE = HttpListener.JSON.writer().without(SerializationFeature.INDENT_OUTPUT);

    private final DashboardSampler sampler;
    private final String page;
    private final byte[] script;
    private final byte[] style;
    private final SecureRandom random = new SecureRandom();
    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r,
            "admin-dashboard-sampler"));
    private final ThreadPoolExecutor sender = new ThreadPoolExecutor(MAX_STREAMS, MAX_STREAMS, 30, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> daemon(r, "admin-dashboard-sender"));

    Dashboard(DashboardSampler sampler) {
        this.sampler = sampler;
        this.page = new String(resource("dashboard.html"), StandardCharsets.UTF_8);
        this.script = resource("dashboard.js");
        this.style = resource("dashboard.css");
        sender.allowCoreThreadTimeOut(true);
    }

    /** Starts sampling; the page's charts fill from then on. */
    void start() {
        ticker.scheduleAtFixedRate(this::tick, 0, SAMPLE_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    void routes(RoutesConfig r) {
        r.get("/", ctx -> ctx.redirect("/dashboard"));
        r.get("/dashboard", this::page);
        r.get("/dashboard/dashboard.js", ctx -> asset(ctx, script, "text/javascript; charset=utf-8"));
        r.get("/dashboard/dashboard.css", ctx -> asset(ctx, style, "text/css; charset=utf-8"));
        r.get("/dashboard/events", this::events);
    }

    private void page(Context ctx) {
        if (!sameHost(ctx)) {
            return;
        }
        byte[] n = new byte[NONCE_BYTES];
        random.nextBytes(n);
        String nonce = Base64.getEncoder().encodeToString(n);
        ctx.status(200).contentType("text/html; charset=utf-8")
                .header("Content-Security-Policy", "default-src 'none'; script-src 'nonce-" + nonce + "'; "
                        + "style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; "
                        + "form-action 'none'; object-src 'none'; frame-ancestors 'none'")
                .header("Referrer-Policy", "no-referrer")
                .header("X-Frame-Options", "DENY")
                .header("X-Content-Type-Options", "nosniff")
                .header("Cache-Control", "no-store")
                .result(page.replace(NONCE_PLACEHOLDER, nonce));
    }

    private void asset(Context ctx, byte[] body, String type) {
        if (!sameHost(ctx)) {
            return;
        }
        ctx.status(200).contentType(type).header("X-Content-Type-Options", "nosniff")
                .header("Cache-Control", "no-cache").header("Referrer-Policy", "no-referrer").result(body);
    }

    private void events(Context ctx) throws IOException {
        if (!sameHost(ctx)) {
            return;
        }
        Stream stream;
        synchronized (streams) {
            if (streams.size() >= MAX_STREAMS) {
                HttpListener.error(ctx, 429, "too many dashboards open (at most " + MAX_STREAMS + ")", null);
                return;
            }
            ctx.status(200).contentType("text/event-stream; charset=utf-8").header("Cache-Control", "no-store")
                    .header("X-Accel-Buffering", "no");
            stream = new Stream(ctx.res().getOutputStream());
            streams.add(stream);
        }
        ctx.future(() -> {
            stream.begin(("retry: " + RETRY_MS + "\n" + event("history", sampler.history()))
                    .getBytes(StandardCharsets.UTF_8));
            return stream.done;
        });
    }

    /**
     * Whether the request names this listener by IP address or {@code localhost} and, when a
     * browser says where it comes from, comes from the same place; answers 403 when not.
     */
    private static boolean sameHost(Context ctx) {
        String host = ctx.host();
        String origin = ctx.header("Origin");
        boolean ok = host != null && addressedByIp(host)
                && (origin == null || origin.equals("http://" + host) || origin.equals("https://" + host));
        if (!ok) {
            HttpListener.error(ctx, 403, "the dashboard answers requests to an IP address or localhost only", null);
        }
        return ok;
    }

    private static boolean addressedByIp(String hostHeader) {
        String name;
        try {
            name = URI.create("http://" + hostHeader + "/").getHost();
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (name == null) {
            return false;
        }
        return name.equalsIgnoreCase("localhost") || name.startsWith("[")
                || name.chars().allMatch(c -> c == '.' || c >= '0' && c <= '9');
    }

    private void tick() {
        try {
            byte[] sample = event("sample", sampler.sample()).getBytes(StandardCharsets.UTF_8);
            streams.forEach(s -> s.offer(sample));
        } catch (RuntimeException e) {
            // A failed sample must not end the schedule (an exception would cancel it for good).
            log.warn("dashboard sample failed: {}", e.toString());
        }
    }

    private static String event(String name, Object data) {
        try {
            return "event: " + name + "\ndata: " + LINE.writeValueAsString(data) + "\n\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a dashboard event", e);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = Dashboard.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("missing from the jar: " + RESOURCES + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        streams.forEach(Stream::close);
        sender.shutdownNow();
    }

    /** One open event stream. */
    private final class Stream {
        private final OutputStream out;
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        /** Busy from the start: samples are skipped until {@link #begin} has written the history. */
        private final AtomicBoolean writing = new AtomicBoolean(true);

        Stream(OutputStream out) {
            this.out = out;
        }

        /** Writes the stream's first chunk; samples follow once it is out. */
        void begin(byte[] chunk) {
            send(chunk);
        }

        /** Writes {@code chunk} unless a write is still in flight (then this one is skipped). */
        void offer(byte[] chunk) {
            if (done.isDone() || !writing.compareAndSet(false, true)) {
                return;
            }
            send(chunk);
        }

        private void send(byte[] chunk) {
            try {
                sender.execute(() -> write(chunk));
            } catch (RejectedExecutionException e) {
                close();
            }
        }

        private void write(byte[] chunk) {
            try {
                out.write(chunk);
                out.flush();
                writing.set(false);
            } catch (IOException | RuntimeException e) {
                close();
            }
        }

        void close() {
            streams.remove(this);
            done.complete(null);
        }
    }
}
