package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.netty.handler.ssl.JdkSslContext;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The {@code http:} section: the listener that serves stored mail back (REST API, live updates).
 * Each limit's default sits beside it with the reason it exists.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public final class HttpConfig {
    /**
     * 8025: the port Mailpit and MailHog serve their inbox on, so a catch-all test setup finds it where
     * people look; unprivileged, and on loopback so nothing is exposed until the operator says so.
     */
    public static final String DEFAULT_LISTEN = "127.0.0.1:8025";
    /** Messages per page when the client names none: a screenful. */
    public static final int DEFAULT_PAGE_SIZE = 20;
    /** Largest page a client may ask for: bounds one query's rows and one response's size. */
    public static final int MAX_PAGE_SIZE = 200;
    /** Longest {@code wait=} in seconds: under common proxies' 60 s read timeout. */
    public static final int MAX_WAIT_SECONDS = 55;
    /** Open event streams per client address: a browser needs a few tabs, not thousands of sockets. */
    public static final int MAX_SUBSCRIBERS_PER_CLIENT = 32;
    /** Request body octets: the API takes no uploads, so anything large is an attack on memory. */
    public static final int MAX_REQUEST_BODY_BYTES = 64 * 1024;
    /** Request line and headers: Jetty's default; larger is a header-stuffing attack, not a browser. */
    public static final int MAX_REQUEST_HEADER_BYTES = 8 * 1024;
    /**
     * Seconds a connection may make no progress (request headers not finished, response not read):
     * a stalled client is closed this fast. Event streams send a comment more often than this.
     */
    public static final int IDLE_TIMEOUT_SECONDS = 30;
    /**
     * Worker threads: every request is short (a few indexed queries, one parse); event streams and
     * waits hold no thread. More workers only queue on the database's read connections.
     */
    public static final int MAX_THREADS = 32;
    /** Connections open at once: event streams each keep one; beyond it new ones wait in the accept queue. */
    public static final int MAX_CONNECTIONS = 4096;
    /** SQLite read connections (WAL lets them read beside the writer); for other databases, the read pool's size. */
    public static final int READ_POOL_SIZE = 4;
    /** Milliseconds between the shared poll's queries for new mail: the latency of live updates. */
    public static final int POLL_INTERVAL_MS = 250;

    /** What {@code allowed_origins} entries look like: a browser's {@code Origin}, scheme, host and optional port. */
    private static final Pattern ORIGIN = Pattern.compile("https?://[a-z0-9.-]+(?::[0-9]{1,5})?|https?://\\[[0-9a-f:.]+](?::[0-9]{1,5})?");

    /** HOST:PORT; empty turns the listener off. */
    public String listen = DEFAULT_LISTEN;
    /** PEM certificate chain; with key_file, the listener speaks HTTPS (reloaded on SIGHUP). */
    public String certFile = "";
    /** PEM PKCS#8 private key of cert_file. */
    public String keyFile = "";
    /** When set, every /api request must carry {@code Authorization: Bearer <token>}: a private deployment. */
    public String apiToken = "";
    public int defaultPageSize = DEFAULT_PAGE_SIZE;
    public int maxPageSize = MAX_PAGE_SIZE;
    public int maxWaitSeconds = MAX_WAIT_SECONDS;
    public int maxSubscribersPerClient = MAX_SUBSCRIBERS_PER_CLIENT;
    public int maxRequestBodyBytes = MAX_REQUEST_BODY_BYTES;
    public int idleTimeoutSeconds = IDLE_TIMEOUT_SECONDS;
    public int maxThreads = MAX_THREADS;
    public int maxConnections = MAX_CONNECTIONS;
    public int readPoolSize = READ_POOL_SIZE;
    public int pollIntervalMs = POLL_INTERVAL_MS;
    public GuerrillaApiConfig guerrillaApi = new GuerrillaApiConfig();
    /**
     * Origins ({@code https://app.example}) whose pages may call the APIs and event streams from a
     * browser. Empty: same-origin only, so another site's page open in the reader's browser cannot
     * read, delete or subscribe to mail through it (requests without browser markers, curl and
     * scripts, are not affected).
     */
    public List<String> allowedOrigins = new ArrayList<>();
    /**
     * HOST:PORT the inbox page tells people to send test mail to. Empty: the first SMTP listener's
     * address, its host replaced by the page's own when it listens on every interface.
     */
    public String publicSmtp = "";

    public boolean enabled() {
        return listen != null && !listen.isBlank();
    }

    public boolean tls() {
        return certFile != null && !certFile.isBlank();
    }

    public boolean tokenRequired() {
        return apiToken != null && !apiToken.isEmpty();
    }

    void validate(String prefix, List<String> errors) {
        HostPort.checkOptional(prefix + "listen", listen, errors);
        boolean cert = certFile != null && !certFile.isBlank();
        boolean key = keyFile != null && !keyFile.isBlank();
        if (cert != key) {
            errors.add(prefix + (cert ? "key_file" : "cert_file") + ": cert_file and key_file go together");
        } else if (cert) {
            tlsSection().validate(prefix, errors);
        }
        if (apiToken == null) {
            errors.add(prefix + "api_token: must be a string, or empty for an open API");
        } else if (!apiToken.isEmpty() && apiToken.length() < 16) {
            errors.add(prefix + "api_token: at least 16 characters, or it can be guessed");
        }
        if (allowedOrigins == null) {
            errors.add(prefix + "allowed_origins: must be a list (empty: same-origin only)");
        } else {
            for (String o : allowedOrigins) {
                if (o == null || !ORIGIN.matcher(o.toLowerCase(Locale.ROOT)).matches()) {
                    errors.add(prefix + "allowed_origins: \"" + o + "\" is not an origin (scheme://host[:port], no path)");
                }
            }
        }
        if (publicSmtp == null) {
            errors.add(prefix + "public_smtp: must be HOST:PORT, or empty for the first SMTP listener's");
        } else {
            HostPort.checkOptional(prefix + "public_smtp", publicSmtp, errors);
        }
        ListenerConfig.positive(errors, prefix + "default_page_size", defaultPageSize);
        ListenerConfig.positive(errors, prefix + "max_page_size", maxPageSize);
        if (defaultPageSize > maxPageSize) {
            errors.add(prefix + "default_page_size: must not exceed max_page_size");
        }
        ListenerConfig.positive(errors, prefix + "max_wait_seconds", maxWaitSeconds);
        ListenerConfig.positive(errors, prefix + "max_subscribers_per_client", maxSubscribersPerClient);
        ListenerConfig.positive(errors, prefix + "max_request_body_bytes", maxRequestBodyBytes);
        ListenerConfig.positive(errors, prefix + "idle_timeout_seconds", idleTimeoutSeconds);
        if (maxThreads < 4) {
            errors.add(prefix + "max_threads: at least 4 (Jetty's acceptor and selector take some)");
        }
        ListenerConfig.positive(errors, prefix + "max_connections", maxConnections);
        ListenerConfig.positive(errors, prefix + "read_pool_size", readPoolSize);
        ListenerConfig.positive(errors, prefix + "poll_interval_ms", pollIntervalMs);
    }

    /** The listener's TLS as the SMTP listeners' is read and checked: PEM chain, PKCS#8 key, TLS 1.2 and 1.3. */
    private TlsConfig tlsSection() {
        TlsConfig t = new TlsConfig();
        t.certFile = certFile;
        t.keyFile = keyFile;
        t.implicit = true;
        return t;
    }

    /** A server TLS context from cert_file and key_file; call only when {@link #tls()} and valid. */
    public SSLContext newSslContext() throws SSLException {
        return ((JdkSslContext) tlsSection().newServerContext()).context();
    }
}
