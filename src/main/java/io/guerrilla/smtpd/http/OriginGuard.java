package io.guerrilla.smtpd.http;

import io.javalin.http.Context;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Refuses what another site's page makes the reader's browser ask: a request a browser marks as
 * cross-origin ({@code Sec-Fetch-Site}, or an {@code Origin} naming another host) gets 403, unless its
 * origin is in {@code http.allowed_origins}. A page elsewhere could otherwise subscribe to a mailbox's
 * events, read or delete mail, or act on the session cookie. Clients that are not browsers (curl,
 * scripts, Guerrilla Mail clients) send neither header and are not affected.
 */
final class OriginGuard {
    /** Headers a cross-origin caller may send, for a preflight: the bearer token and the stream's resume id. */
    private static final String ALLOWED_HEADERS = "Authorization, Content-Type, Last-Event-ID";
    /** Seconds a browser may cache a preflight's answer: Chrome caps it at 2 hours anyway. */
    private static final int PREFLIGHT_MAX_AGE = 600;

    private final Set<String> allowed;

    OriginGuard(List<String> allowedOrigins) {
        this.allowed = allowedOrigins.stream().map(o -> o.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** Throws 403 for a cross-origin browser request; marks an allowed origin's response readable by it. */
    void check(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin != null && allowed.contains(origin.toLowerCase(Locale.ROOT))) {
            ctx.header("Access-Control-Allow-Origin", origin);
            ctx.header("Vary", "Origin");
            return;
        }
        String site = ctx.header("Sec-Fetch-Site");
        boolean sameOrigin = site != null ? site.equals("same-origin") || site.equals("none")
                : origin == null || sameHost(origin, ctx.header("Host"));
        if (!sameOrigin) {
            throw new ApiError(403, "Origin", "cross-origin requests are refused (http.allowed_origins lists the"
                    + " origins whose pages may call this server)");
        }
    }

    /** A CORS preflight: answered for an allowed origin, refused for any other. */
    void preflight(Context ctx) {
        check(ctx);
        ctx.header("Access-Control-Allow-Methods", "GET, POST, DELETE");
        ctx.header("Access-Control-Allow-Headers", ALLOWED_HEADERS);
        ctx.header("Access-Control-Max-Age", Integer.toString(PREFLIGHT_MAX_AGE));
        ctx.status(204);
    }

    /**
     * For browsers that send {@code Origin} but not {@code Sec-Fetch-Site}: the origin names the host the
     * request was sent to. The scheme is not compared, as a proxy may end TLS in front of this listener.
     */
    static boolean sameHost(String origin, String host) {
        if (host == null) {
            return false;
        }
        try {
            URI o = URI.create(origin);
            URI h = URI.create("http://" + host);
            if (o.getHost() == null || h.getHost() == null || !o.getHost().equalsIgnoreCase(h.getHost())) {
                return false;
            }
            int originPort = o.getPort() != -1 ? o.getPort() : "https".equalsIgnoreCase(o.getScheme()) ? 443 : 80;
            return h.getPort() == -1 ? originPort == 80 || originPort == 443 : h.getPort() == originPort;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
