package io.guerrilla.smtpd.http;

import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.config.HostPort;
import io.guerrilla.smtpd.config.HttpConfig;
import io.guerrilla.smtpd.mailbox.MailboxEvents;
import io.guerrilla.smtpd.mailbox.RawMessages;
import io.guerrilla.smtpd.store.KeyValueBodies;
import io.guerrilla.smtpd.store.MailboxQueries;
import io.guerrilla.smtpd.store.MailboxQueries.Summary;
import io.javalin.http.Context;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The mail-reading side: the {@code http:} listener with its APIs, the read connections (never the
 * writer's), Redis/Memcached readers, and the shared new-mail poll that feeds event streams and waits.
 * Built once, in one place; an API is one more {@link HttpListener.Routes} in {@link #routes}.
 */
public final class ReadingServer implements AutoCloseable {
    /** Threads writing event streams: writes are small and rarely block (only when a client stops reading). */
    static final int STREAM_SENDER_THREADS = 4;
    /** Response buffer of an event stream: a few events; Jetty's default (32 KiB) per idle stream adds up. */
    static final int STREAM_BUFFER_BYTES = 2048;
    /** Milliseconds between keep-alive comments on an open stream: under the idle timeout (and proxies' 60 s). */
    static final long KEEP_ALIVE_MS = 15_000;

    private final MailboxQueries queries;
    private final KeyValueBodies keyValue;
    private final MailboxEvents events;
    private final Streams streams;
    private final HttpListener listener;

    private ReadingServer(MailboxQueries queries, KeyValueBodies keyValue, MailboxEvents events, Streams streams,
                          HttpListener listener) {
        this.queries = queries;
        this.keyValue = keyValue;
        this.events = events;
        this.streams = streams;
        this.listener = listener;
    }

    /** Binds {@code http.listen} and starts polling for new mail; throws if the address cannot be bound. */
    public static ReadingServer start(GuerrillaConfig config) throws IOException {
        HttpConfig http = config.http;
        MailboxQueries queries = MailboxQueries.open(config.store, http.readPoolSize);
        KeyValueBodies keyValue = new KeyValueBodies(config.store);
        MailboxEvents events = new MailboxEvents(queries, Clock.systemUTC());
        Streams streams = new Streams(events, queries, http.maxSubscribersPerClient);
        RawMessages raw = new RawMessages(keyValue);
        HttpListener listener;
        try {
            HttpListener.Settings s = new HttpListener.Settings("http", HostPort.parse(http.listen), http.maxThreads,
                    http.idleTimeoutSeconds, HttpConfig.MAX_REQUEST_HEADER_BYTES, http.maxConnections,
                    http.maxRequestBodyBytes);
            listener = HttpListener.start(s, http.tls() ? http.newSslContext() : null,
                    routes(config, queries, raw, streams));
        } catch (IOException | RuntimeException e) {
            streams.close();
            events.close();
            keyValue.close();
            queries.close();
            throw e;
        }
        events.start(http.pollIntervalMs, streams::keepAliveIfDue);
        return new ReadingServer(queries, keyValue, events, streams, listener);
    }

    /** Every API the listener serves, and the inbox page. */
    private static List<HttpListener.Routes> routes(GuerrillaConfig config, MailboxQueries queries, RawMessages raw,
                                                    Streams streams) {
        OriginGuard origin = new OriginGuard(config.http.allowedOrigins);
        RestApi rest = new RestApi(config.http, queries, raw, streams, origin);
        InboxPage page = new InboxPage(config);
        return config.http.guerrillaApi.serves(config)
                ? List.of(rest, page, new GuerrillaApi(config, queries, raw, Clock.systemUTC(), origin))
                : List.of(rest, page);
    }

    public InetSocketAddress address() {
        return listener.address();
    }

    public boolean tls() {
        return listener.tls();
    }

    /** The URL people open, for the start-up log line. */
    public String url() {
        InetSocketAddress a = address();
        String host = a.getAddress().getHostAddress();
        return (tls() ? "https" : "http") + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/";
    }

    /** Takes the certificate files of {@code next} into use for new connections (SIGHUP). */
    public void reloadTls(HttpConfig next) throws Exception {
        listener.reloadTls(next.newSslContext());
    }

    @Override
    public void close() {
        streams.close();
        listener.close();
        events.close();
        keyValue.close();
        queries.close();
    }

    /** Open event streams and waits: per-client-address slots, the sender pool, keep-alives. */
    static final class Streams implements AutoCloseable {
        private final MailboxEvents events;
        private final MailboxQueries queries;
        private final int perClient;
        private final Map<String, AtomicInteger> slots = new ConcurrentHashMap<>();
        private final Set<EventStream> open = ConcurrentHashMap.newKeySet();
        private final ExecutorService sender = Executors.newFixedThreadPool(STREAM_SENDER_THREADS, r -> {
            Thread t = new Thread(r, "http-stream-sender");
            t.setDaemon(true);
            return t;
        });
        private long lastKeepAlive = System.nanoTime();

        Streams(MailboxEvents events, MailboxQueries queries, int perClient) {
            this.events = events;
            this.queries = queries;
            this.perClient = perClient;
        }

        MailboxEvents events() {
            return events;
        }

        ExecutorService sender() {
            return sender;
        }

        /** Takes one of the client's slots, or refuses with 429. */
        void admit(String client) {
            AtomicInteger n = slots.computeIfAbsent(client, k -> new AtomicInteger());
            if (n.incrementAndGet() > perClient) {
                release(client);
                throw new ApiError(429, null, "too many open streams and waits from this address (at most "
                        + perClient + ")");
            }
        }

        void release(String client) {
            slots.computeIfPresent(client, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
        }

        /** Turns the response into an event stream; the request's thread is released while it is open. */
        void open(Context ctx, String mailbox, long lastEventId, Function<Summary, Object> view) throws IOException {
            String client = ctx.ip();
            admit(client);
            ctx.status(200).contentType("text/event-stream; charset=utf-8").header("X-Accel-Buffering", "no");
            // Events are flushed one by one: a small buffer keeps a thousand idle streams cheap.
            ctx.res().setBufferSize(STREAM_BUFFER_BYTES);
            EventStream[] holder = new EventStream[1];
            EventStream stream = new EventStream(mailbox, lastEventId, ctx.res().getOutputStream(), sender, events,
                    queries, view, () -> {
                        open.remove(holder[0]);
                        release(client);
                    });
            holder[0] = stream;
            open.add(stream);
            ctx.future(() -> {
                stream.start();
                return stream.done();
            });
        }

        /** Called after each poll, on the poll thread. */
        void keepAliveIfDue() {
            long now = System.nanoTime();
            if (now - lastKeepAlive >= KEEP_ALIVE_MS * 1_000_000) {
                lastKeepAlive = now;
                open.forEach(EventStream::keepAlive);
            }
        }

        @Override
        public void close() {
            List.copyOf(open).forEach(EventStream::close);
            sender.shutdownNow();
        }
    }
}
