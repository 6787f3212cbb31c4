package io.guerrilla.smtpd.http;

import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.config.HostPort;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The inbox page at {@code /}: static files from the jar (no CDN, nothing fetched from elsewhere) that
 * drive the Guerrilla Mail API for the session and address and the REST API for messages and live
 * updates, plus {@code /api/v1/info}, what the page needs to know about this server.
 *
 * <p>The page is served under a Content-Security-Policy whose nonce is new on every response, so only
 * the page's own script and style run; mail is shown only as text or in a sandboxed frame.
 */
final class InboxPage implements HttpListener.Routes {
    static final String ASSETS = "/inbox/";
    private static final String NONCE_MARK = "{{nonce}}";
    /** Octets of a nonce: 128 bits, as CSP Level 3 asks, so it cannot be guessed. */
    private static final int NONCE_BYTES = 16;
    private static final Map<String, String> TYPES = Map.of(
            "app.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8");

    private final GuerrillaConfig config;
    private final boolean served;
    private final String index;
    private final Map<String, byte[]> assets = new LinkedHashMap<>();
    private final SecureRandom random = new SecureRandom();

    InboxPage(GuerrillaConfig config) {
        this.config = config;
        // The page acts through the Guerrilla Mail API's sessions, and a browser cannot send a bearer token.
        this.served = config.http.guerrillaApi.serves(config) && !config.http.tokenRequired();
        this.index = new String(resource("index.html"), StandardCharsets.UTF_8);
        TYPES.keySet().forEach(name -> assets.put(name, resource(name)));
    }

    private static byte[] resource(String name) {
        try (InputStream in = InboxPage.class.getResourceAsStream("inbox/" + name)) {
            if (in == null) {
                throw new IllegalStateException("inbox/" + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void register(RoutesConfig r) {
        r.get("/", this::page);
        r.get(ASSETS + "{name}", this::asset);
        r.get(RestApi.BASE + "/info", this::info);
    }

    private void page(Context ctx) {
        if (!served) {
            throw ApiError.notFound(config.http.tokenRequired()
                    ? "the inbox page is off while http.api_token is set (a browser cannot send the token)"
                    : "the inbox page needs the Guerrilla Mail API: list http.guerrilla_api.domains");
        }
        byte[] n = new byte[NONCE_BYTES];
        random.nextBytes(n);
        String nonce = Base64.getEncoder().encodeToString(n);
        ctx.header("Content-Security-Policy", "default-src 'none'; script-src 'nonce-" + nonce + "'; style-src 'nonce-"
                + nonce + "'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; form-action 'self';"
                + " object-src 'none'; base-uri 'none'; frame-ancestors 'none';"
                + " require-trusted-types-for 'script'; trusted-types 'none'");
        securityHeaders(ctx);
        ctx.header("Cache-Control", "no-store");
        ctx.contentType("text/html; charset=utf-8").result(index.replace(NONCE_MARK, nonce));
    }

    private void asset(Context ctx) {
        byte[] body = assets.get(ctx.pathParam("name"));
        if (body == null || !served) {
            throw ApiError.notFound("no such file");
        }
        securityHeaders(ctx);
        // Revalidated on each load, so a restarted server's new page never runs with an old script.
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(TYPES.get(ctx.pathParam("name"))).result(body);
    }

    private static void securityHeaders(Context ctx) {
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "no-referrer");
    }

    /** The domains addresses are given on, lifetimes, and where to send test mail. */
    private void info(Context ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        boolean api = config.http.guerrillaApi.serves(config);
        body.put("guerrilla_api", api);
        body.put("domains", api ? config.http.guerrillaApi.domains(config) : List.of());
        body.put("address_minutes", config.http.guerrillaApi.addressMinutes);
        body.put("extend_max_minutes", config.http.guerrillaApi.extendMaxMinutes);
        HostPort smtp = smtpAddress();
        body.put("smtp_host", smtp == null ? null : smtp.host());
        body.put("smtp_port", smtp == null ? null : smtp.port());
        HttpListener.json(ctx, body);
    }

    /** {@code http.public_smtp}, else the first listener's; a wildcard host is null (the page then uses its own). */
    private HostPort smtpAddress() {
        String configured = config.http.publicSmtp;
        if (configured != null && !configured.isBlank()) {
            return HostPort.parse(configured);
        }
        String listen = config.listeners().get(0).listenInterface;
        if (listen == null || listen.isBlank()) {
            return null;
        }
        HostPort hp = HostPort.parse(listen);
        boolean wildcard = hp.host().isEmpty() || hp.host().equals("0.0.0.0") || hp.host().equals("::");
        return wildcard ? new HostPort(null, hp.port()) : hp;
    }
}
