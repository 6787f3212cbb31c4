package io.guerrilla.smtpd.http;

import io.guerrilla.smtpd.config.HttpConfig;
import io.guerrilla.smtpd.mailbox.HtmlSanitizer;
import io.guerrilla.smtpd.mailbox.MailboxAddress;
import io.guerrilla.smtpd.mailbox.MailboxEvents;
import io.guerrilla.smtpd.mailbox.MessageParser;
import io.guerrilla.smtpd.mailbox.RawMessages;
import io.guerrilla.smtpd.store.MailboxQueries;
import io.guerrilla.smtpd.store.MailboxQueries.Filter;
import io.guerrilla.smtpd.store.MailboxQueries.Stored;
import io.guerrilla.smtpd.store.MailboxQueries.Summary;
import io.guerrilla.smtpd.store.StoreUnavailableException;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The REST API under {@code /api/v1}: a mailbox's messages (paged newest first by a {@code mail_id}
 * cursor, searched, waited for), one message parsed with its HTML sanitized, the raw message and each
 * attachment as downloads, deletes, and a Server-Sent Events stream per mailbox. Described by
 * {@code /api/v1/openapi.json}.
 *
 * <p>Whoever knows an address can read its mail (the disposable-mail model); {@code http.api_token}
 * closes the whole API behind a bearer token instead.
 */
final class RestApi implements HttpListener.Routes {
    private static final Logger log = LoggerFactory.getLogger(RestApi.class);
    static final String BASE = "/api/v1";
    private static final String MAILBOX = BASE + "/mailboxes/{address}";
    /** Longest from/subject search text: a search term, not a document. */
    static final int MAX_SEARCH_CHARS = 256;
    /** Media types a browser could run or render as a page: attachments of these types are served as bytes. */
    private static final Set<String> ACTIVE_TYPES = Set.of("text/html", "application/xhtml+xml", "image/svg+xml",
            "text/xml", "application/xml", "text/javascript", "application/javascript", "application/ecmascript",
            "text/ecmascript", "text/css", "multipart/x-mixed-replace", "application/pdf");
    private static final Pattern MEDIA_TYPE = Pattern.compile("[a-z0-9][a-z0-9.+-]{0,63}/[a-z0-9][a-z0-9.+-]{0,126}");

    /**
     * Around a message's HTML in its own document: links open in a new browsing context (the frame's
     * sandbox forbids navigating the page), and a wide image or table cannot widen the reader's page.
     */
    private static final String HTML_FRAME_HEAD = "<!doctype html><html><head><meta charset=\"utf-8\">"
            + "<base target=\"_blank\"><style>html{color-scheme:light}body{margin:8px;font:15px/1.45 system-ui,sans-serif;"
            + "overflow-wrap:anywhere;background:#fff;color:#111}img{max-width:100%;height:auto}"
            + "table{max-width:100%}</style></head><body>";

    private final HttpConfig config;
    private final MailboxQueries queries;
    private final RawMessages raw;
    private final ReadingServer.Streams streams;
    private final OriginGuard origin;

    RestApi(HttpConfig config, MailboxQueries queries, RawMessages raw, ReadingServer.Streams streams,
            OriginGuard origin) {
        this.config = config;
        this.origin = origin;
        this.queries = queries;
        this.raw = raw;
        this.streams = streams;
    }

    @Override
    public void register(RoutesConfig r) {
        r.before(BASE + "/*", this::guard);
        r.options(BASE + "/*", origin::preflight);
        r.get(BASE + "/openapi.json", this::openApi);
        r.get(MAILBOX + "/messages", this::list);
        r.delete(MAILBOX + "/messages", this::deleteMailbox);
        r.get(MAILBOX + "/messages/{id}", this::message);
        r.delete(MAILBOX + "/messages/{id}", this::deleteMessage);
        r.get(MAILBOX + "/messages/{id}/raw", this::rawMessage);
        r.get(MAILBOX + "/messages/{id}/html", this::htmlDocument);
        r.get(MAILBOX + "/messages/{id}/attachments/{index}", this::attachment);
        r.get(MAILBOX + "/events", this::events);
        r.exception(SQLException.class, (e, ctx) -> {
            log.warn("mail API {}: database: {}", ctx.method(), e.getMessage());
            HttpListener.error(ctx, 503, "the mail database is unavailable; retry later", null);
        });
        r.exception(StoreUnavailableException.class, (e, ctx) -> {
            log.warn("mail API {}: {}", ctx.method(), e.getMessage());
            HttpListener.error(ctx, 503, "the message body store is unavailable; retry later", null);
        });
        r.exception(RawMessages.BodyGone.class, (e, ctx) -> HttpListener.error(ctx, 410, e.getMessage(), null));
    }

    /** Headers on every API response, no other site's pages, and the bearer token when one is configured. */
    private void guard(Context ctx) {
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("Cache-Control", "no-store");
        origin.check(ctx);
        // A preflight never carries the token; the request it clears must.
        if (config.tokenRequired() && !"OPTIONS".equals(ctx.method().name())) {
            String given = ctx.header("Authorization");
            byte[] expected = ("Bearer " + config.apiToken).getBytes(StandardCharsets.UTF_8);
            if (given == null || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
                ctx.header("WWW-Authenticate", "Bearer realm=\"guerrillad\"");
                throw new ApiError(401, "Authorization", "Authorization: a valid bearer token is required");
            }
        }
    }

    private void openApi(Context ctx) throws IOException {
        try (InputStream in = RestApi.class.getResourceAsStream("openapi.json")) {
            ctx.contentType("application/json; charset=utf-8").result(in.readAllBytes());
        }
    }

    private void list(Context ctx) throws Exception {
        String mailbox = mailbox(ctx);
        allowOnly(ctx, "before", "limit", "from", "subject", "since", "until", "after", "wait");
        int limit = (int) number(ctx, "limit", config.defaultPageSize, 1, config.maxPageSize);
        if (ctx.queryParam("after") != null) {
            for (String p : List.of("before", "from", "subject", "since", "until")) {
                if (ctx.queryParam(p) != null) {
                    throw ApiError.badParameter(p, "cannot be combined with after");
                }
            }
            waitForNewer(ctx, mailbox, number(ctx, "after", 0, 0, Long.MAX_VALUE), limit,
                    (int) number(ctx, "wait", 0, 0, config.maxWaitSeconds));
            return;
        }
        if (ctx.queryParam("wait") != null) {
            throw ApiError.badParameter("wait", "needs after=<mail_id>");
        }
        long before = number(ctx, "before", 0, 1, Long.MAX_VALUE);
        Instant since = instant(ctx, "since");
        Instant until = instant(ctx, "until");
        if (since != null && until != null && !since.isBefore(until)) {
            throw ApiError.badParameter("until", "must be after since");
        }
        Filter filter = new Filter(text(ctx, "from"), text(ctx, "subject"), since, until);
        List<Summary> page = queries.list(mailbox, filter, before, limit);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("mailbox", mailbox);
        body.put("messages", page.stream().map(this::summary).toList());
        body.put("next_before", page.size() == limit ? page.get(page.size() - 1).id() : null);
        HttpListener.json(ctx, body);
    }

    /** Mail newer than {@code after}, oldest first; with a wait, answered as soon as there is some. */
    private void waitForNewer(Context ctx, String mailbox, long after, int limit, int waitSeconds) throws Exception {
        List<Summary> now = queries.newer(mailbox, after, limit);
        if (!now.isEmpty() || waitSeconds == 0) {
            HttpListener.json(ctx, newer(mailbox, after, now));
            return;
        }
        CompletableFuture<Void> arrived = new CompletableFuture<>();
        MailboxEvents.Listener waiter = s -> {
            if (s.id() > after) {
                arrived.complete(null);
            }
        };
        String client = ctx.ip();
        streams.admit(client);
        streams.events().subscribe(mailbox, waiter);
        // Mail that arrived between the query above and the subscription is caught by asking once more.
        if (!queries.newer(mailbox, after, 1).isEmpty()) {
            arrived.complete(null);
        }
        ctx.future(() -> arrived.completeOnTimeout(null, waitSeconds, TimeUnit.SECONDS)
                .whenComplete((v, e) -> {
                    streams.events().unsubscribe(mailbox, waiter);
                    streams.release(client);
                })
                .thenRunAsync(() -> {
                    try {
                        HttpListener.json(ctx, newer(mailbox, after, queries.newer(mailbox, after, limit)));
                    } catch (SQLException e) {
                        log.warn("wait for new mail: database: {}", e.getMessage());
                        HttpListener.error(ctx, 503, "the mail database is unavailable; retry later", null);
                    }
                }, streams.sender()));
    }

    private Map<String, Object> newer(String mailbox, long after, List<Summary> found) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("mailbox", mailbox);
        body.put("messages", found.stream().map(this::summary).toList());
        body.put("last_id", found.isEmpty() ? after : found.get(found.size() - 1).id());
        return body;
    }

    private void deleteMailbox(Context ctx) throws SQLException {
        String mailbox = mailbox(ctx);
        allowOnly(ctx);
        HttpListener.json(ctx, Map.of("deleted", queries.deleteMailbox(mailbox)));
    }

    private void deleteMessage(Context ctx) throws SQLException {
        String mailbox = mailbox(ctx);
        long id = id(ctx);
        allowOnly(ctx);
        if (!queries.delete(mailbox, id)) {
            throw ApiError.notFound("no message " + id + " in this mailbox");
        }
        ctx.status(204);
    }

    private void message(Context ctx) throws Exception {
        Stored m = stored(ctx);
        byte[] bytes = raw.load(m);
        MessageParser.Parsed p = MessageParser.parse(bytes);
        String self = url(m.summary());
        Map<String, Object> body = new LinkedHashMap<>(summary(m.summary()));
        body.put("size", bytes.length);
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("mail_from", m.returnPath());
        envelope.put("rcpt_to", m.recipient());
        envelope.put("client_ip", m.clientIp());
        envelope.put("tls", m.tls());
        body.put("envelope", envelope);
        body.put("headers", p.headers());
        body.put("text", p.text());
        body.put("text_truncated", p.textTruncated());
        body.put("html", HtmlSanitizer.sanitize(p.html()));
        body.put("html_truncated", p.htmlTruncated());
        List<Map<String, Object>> attachments = new ArrayList<>();
        for (MessageParser.Attachment a : p.attachments()) {
            Map<String, Object> att = new LinkedHashMap<>();
            att.put("index", a.index());
            att.put("filename", a.filename());
            att.put("content_type", a.contentType());
            att.put("size", a.size());
            att.put("content_id", a.contentId());
            att.put("inline", a.inline());
            att.put("url", self + "/attachments/" + a.index());
            attachments.add(att);
        }
        body.put("attachments", attachments);
        body.put("attachments_truncated", p.attachmentsTruncated());
        body.put("raw_url", self + "/raw");
        HttpListener.json(ctx, body);
    }

    /**
     * The message's sanitized HTML as a document of its own, for an {@code <iframe sandbox>}: its policy
     * lets it run nothing, submit nothing and load nothing but inline styles and {@code data:} images;
     * with {@code images=1} also remote images (which tell the sender it was read, so only on request).
     * Links open outside the frame, with no referrer (the URL names the mailbox).
     */
    private void htmlDocument(Context ctx) throws Exception {
        String mailbox = mailbox(ctx);
        long id = id(ctx);
        allowOnly(ctx, "images");
        boolean images = number(ctx, "images", 0, 0, 1) == 1;
        Stored m = queries.message(mailbox, id).orElseThrow(() -> ApiError.notFound("no message " + id + " in this mailbox"));
        MessageParser.Parsed p = MessageParser.parse(raw.load(m));
        String html = p.html() == null ? "" : images ? HtmlSanitizer.sanitizeWithRemoteImages(p.html())
                : HtmlSanitizer.sanitize(p.html());
        ctx.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
                + (images ? " http: https:" : "") + "; form-action 'none'; frame-ancestors 'self';"
                + " sandbox allow-popups allow-popups-to-escape-sandbox");
        ctx.contentType("text/html; charset=utf-8").result(HTML_FRAME_HEAD + html + "</body></html>");
    }

    /** Byte for byte as received (with the trace headers the server added); a download, never rendered. */
    private void rawMessage(Context ctx) throws Exception {
        Stored m = stored(ctx);
        byte[] bytes = raw.load(m);
        ctx.contentType("message/rfc822")
                .header("Content-Disposition", "attachment; filename=\"message-" + m.summary().id() + ".eml\"")
                .result(bytes);
    }

    private void attachment(Context ctx) throws Exception {
        Stored m = stored(ctx);
        int index = (int) pathNumber(ctx, "index", 0, MessageParser.MAX_ATTACHMENTS * 4L);
        Optional<MessageParser.Download> d = MessageParser.attachment(raw.load(m), index);
        if (d.isEmpty()) {
            throw ApiError.notFound("message " + m.summary().id() + " has no part " + index);
        }
        MessageParser.Attachment a = d.get().attachment();
        String type = a.contentType();
        if (!MEDIA_TYPE.matcher(type).matches() || ACTIVE_TYPES.contains(type)) {
            type = "application/octet-stream";
        }
        ctx.contentType(type).header("Content-Disposition", contentDisposition(a.filename())).result(d.get().content());
    }

    /** An ASCII fallback name for old clients and the exact name per RFC 6266 / RFC 5987. */
    static String contentDisposition(String filename) {
        StringBuilder ascii = new StringBuilder();
        for (char c : filename.toCharArray()) {
            ascii.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '_');
        }
        String encoded = URLEncoder.encode(filename, StandardCharsets.UTF_8).replace("+", "%20");
        return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
    }

    private void events(Context ctx) throws Exception {
        String mailbox = mailbox(ctx);
        allowOnly(ctx, "last_event_id");
        String header = ctx.header("Last-Event-ID");
        long last;
        if (header != null && !header.isBlank()) {
            try {
                last = Long.parseLong(header.trim());
            } catch (NumberFormatException e) {
                throw ApiError.badParameter("Last-Event-ID", "must be a mail_id");
            }
            if (last < 0) {
                throw ApiError.badParameter("Last-Event-ID", "must be a mail_id");
            }
        } else {
            // Where Last-Event-ID cannot be set (a first connection that should start from an id).
            last = number(ctx, "last_event_id", -1, 0, Long.MAX_VALUE);
        }
        streams.open(ctx, mailbox, last, this::summary);
    }

    private Stored stored(Context ctx) throws SQLException {
        String mailbox = mailbox(ctx);
        long id = id(ctx);
        allowOnly(ctx);
        return queries.message(mailbox, id).orElseThrow(() -> ApiError.notFound("no message " + id + " in this mailbox"));
    }

    private Map<String, Object> summary(Summary s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("date", s.date().toString());
        m.put("from", s.from());
        m.put("to", s.to());
        m.put("subject", s.subject());
        m.put("has_attachment", s.hasAttachment());
        m.put("url", url(s));
        return m;
    }

    private static String url(Summary s) {
        return BASE + "/mailboxes/" + URLEncoder.encode(s.to(), StandardCharsets.UTF_8) + "/messages/" + s.id();
    }

    static String mailbox(Context ctx) {
        try {
            return MailboxAddress.key(ctx.pathParam("address"));
        } catch (IllegalArgumentException e) {
            throw ApiError.badParameter("address", e.getMessage());
        }
    }

    private static long id(Context ctx) {
        return pathNumber(ctx, "id", 1, Long.MAX_VALUE);
    }

    private static long pathNumber(Context ctx, String name, long min, long max) {
        return parse(name, ctx.pathParam(name), min, max);
    }

    private static long number(Context ctx, String name, long absent, long min, long max) {
        String v = ctx.queryParam(name);
        return v == null ? absent : parse(name, v, min, max);
    }

    /** A whole number parameter in min..max, or a 400 naming it; the Guerrilla Mail API parses its numbers so too. */
    static long parse(String name, String v, long min, long max) {
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw ApiError.badParameter(name, "must be a whole number");
        }
        if (n < min || n > max) {
            throw ApiError.badParameter(name, "must be " + min + ".." + max);
        }
        return n;
    }

    private static String text(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null) {
            return null;
        }
        if (v.isBlank()) {
            throw ApiError.badParameter(name, "must not be empty");
        }
        if (v.length() > MAX_SEARCH_CHARS) {
            throw ApiError.badParameter(name, "at most " + MAX_SEARCH_CHARS + " characters");
        }
        return v;
    }

    /** An ISO-8601 instant ({@code 2026-01-31T12:00:00Z}) or a UTC date ({@code 2026-01-31}). */
    private static Instant instant(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null) {
            return null;
        }
        try {
            return v.length() == 10 ? LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw ApiError.badParameter(name, "must be an ISO-8601 UTC time (2026-01-31T12:00:00Z) or date (2026-01-31)");
        }
    }

    /** A parameter the endpoint does not know is a caller's mistake (a typo would otherwise be silently ignored). */
    private static void allowOnly(Context ctx, String... known) {
        Set<String> allowed = Set.of(known);
        for (Map.Entry<String, List<String>> e : ctx.queryParamMap().entrySet()) {
            if (!allowed.contains(e.getKey())) {
                throw ApiError.badParameter(printable(e.getKey()), "unknown parameter");
            }
            if (e.getValue().size() > 1) {
                throw ApiError.badParameter(e.getKey(), "given more than once");
            }
        }
    }

    /** A client-chosen name echoed in an error, without controls and bounded. */
    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
