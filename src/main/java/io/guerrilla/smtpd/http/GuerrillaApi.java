package io.guerrilla.smtpd.http;

import io.guerrilla.smtpd.config.GuerrillaApiConfig;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.config.HttpConfig;
import io.guerrilla.smtpd.mailbox.Excerpt;
import io.guerrilla.smtpd.mailbox.ExcerptCache;
import io.guerrilla.smtpd.mailbox.GuerrillaSession;
import io.guerrilla.smtpd.mailbox.HtmlSanitizer;
import io.guerrilla.smtpd.mailbox.MailboxAddress;
import io.guerrilla.smtpd.mailbox.MessageParser;
import io.guerrilla.smtpd.mailbox.RawMessages;
import io.guerrilla.smtpd.store.MailboxQueries;
import io.guerrilla.smtpd.store.MailboxQueries.Listed;
import io.guerrilla.smtpd.store.MailboxQueries.Stored;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Guerrilla Mail JSON API (document version 1.0, 19 April 2011) at {@code /ajax.php}, so existing
 * Guerrilla Mail clients work against this server unchanged: the function in {@code f}, arguments as
 * query or form parameters (GET and POST alike), the session in {@code sid_token} or the
 * {@code PHPSESSID} cookie. Where the document is vague this follows the real service; see
 * docs/guerrilla-api.md for each choice.
 *
 * <p>Sessions live only in their signed token ({@link GuerrillaSession}), so any node serves any
 * session. A session owns one address; every read and delete is limited to that address's mailbox.
 */
final class GuerrillaApi implements HttpListener.Routes {
    private static final Logger log = LoggerFactory.getLogger(GuerrillaApi.class);
    static final String PATH = "/ajax.php";
    static final String COOKIE = "PHPSESSID";
    /** The document: lists hold at most 20 messages. */
    static final int LIST_SIZE = 20;
    /** get_older_list's largest {@code limit}: five lists' worth, so one call cannot read a whole flooded mailbox. */
    static final int MAX_OLDER_LIMIT = 100;
    /** del_email ids per call: a page of lists' worth; bounds one request's deletes. */
    static final int MAX_DELETE_IDS = 100;
    /** Characters of mail_excerpt: a list line's worth. */
    static final int EXCERPT_CHARS = 120;
    /** Octets of a message read for its excerpt: the text comes first; attachments behind it are not decoded for a list. */
    static final int EXCERPT_SOURCE_BYTES = 64 * 1024;
    /** Excerpts kept between polls: 10,000 list lines of 120 characters, about 3 MiB of heap. */
    static final int EXCERPT_CACHE_ENTRIES = 10_000;
    /** Characters of a generated local part: 36^10 addresses, too many to guess someone else's. */
    static final int RANDOM_USER_CHARS = 10;
    /** What set_email_user accepts: RFC 5321 local-part characters common to every mailer, lower-cased, at most 64 (4.5.3.1.1). */
    private static final Pattern USER = Pattern.compile("[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9_+-])?");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final char[] USER_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    private final HttpConfig http;
    private final GuerrillaApiConfig config;
    private final List<String> domains;
    private final MailboxQueries queries;
    private final RawMessages raw;
    private final Clock clock;
    private final OriginGuard origin;
    private final SecureRandom random = new SecureRandom();
    private final ExcerptCache excerpts = new ExcerptCache(EXCERPT_CACHE_ENTRIES);
    private volatile GuerrillaSession.Codec codec;

    GuerrillaApi(GuerrillaConfig config, MailboxQueries queries, RawMessages raw, Clock clock, OriginGuard origin) {
        this.http = config.http;
        this.origin = origin;
        this.config = config.http.guerrillaApi;
        this.domains = this.config.domains(config);
        this.queries = queries;
        this.raw = raw;
        this.clock = clock;
        try {
            queries.createApiTables();
            codec();
        } catch (SQLException e) {
            // The database may be down now; requests retry and answer 503 until it is back.
            log.warn("Guerrilla Mail API: cannot prepare its tables yet: {}", e.getMessage());
        }
    }

    @Override
    public void register(RoutesConfig r) {
        r.get(PATH, this::call);
        r.post(PATH, this::call);
        r.options(PATH, origin::preflight);
    }

    /** The signing key: the config's, or the one all nodes share in the database. */
    private GuerrillaSession.Codec codec() throws SQLException {
        GuerrillaSession.Codec c = codec;
        if (c == null) {
            String secret = config.secret.isEmpty() ? queries.sharedSecret(HexFormat.of().formatHex(randomBytes()))
                    : config.secret;
            c = new GuerrillaSession.Codec(secret.getBytes(StandardCharsets.UTF_8));
            codec = c;
        }
        return c;
    }

    private byte[] randomBytes() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return b;
    }

    private void call(Context ctx) throws Exception {
        ctx.header("X-Content-Type-Options", "nosniff");
        origin.check(ctx);
        requireToken(ctx);
        Params p = new Params(ctx);
        String f = p.required("f");
        long now = clock.instant().getEpochSecond();
        GuerrillaSession session = codec().decode(p.optional("sid_token").orElse(ctx.cookie(COOKIE)), now,
                config.sessionIdleMinutes * 60L).orElse(null);
        switch (f) {
            case "get_email_address" -> getEmailAddress(ctx, p, session, now);
            case "set_email_user" -> setEmailUser(ctx, p, session, now);
            case "check_email" -> {
                GuerrillaSession s = owning(session, now);
                long seq = p.number("seq", null, 0, Long.MAX_VALUE);
                list(ctx, s, seq, Long.MAX_VALUE, 0, LIST_SIZE);
            }
            case "get_email_list" -> {
                GuerrillaSession s = owning(session, now);
                int offset = (int) p.number("offset", null, 0, Integer.MAX_VALUE);
                long seq = p.number("seq", 0L, 0, Long.MAX_VALUE);
                list(ctx, s, seq, Long.MAX_VALUE, offset, LIST_SIZE);
            }
            case "get_older_list" -> {
                GuerrillaSession s = owning(session, now);
                long seq = p.number("seq", null, 1, Long.MAX_VALUE);
                int limit = (int) p.number("limit", (long) LIST_SIZE, 1, MAX_OLDER_LIMIT);
                list(ctx, s, 0, seq, 0, limit);
            }
            case "fetch_email" -> fetchEmail(ctx, p, owning(session, now));
            case "del_email" -> delEmail(ctx, p, owning(session, now));
            case "forget_me" -> forgetMe(ctx, p, session, now);
            case "extend" -> extend(ctx, owning(session, now), now);
            default -> throw ApiError.badParameter("f", "unknown function (known: get_email_address, set_email_user,"
                    + " check_email, get_email_list, get_older_list, fetch_email, del_email, forget_me, extend)");
        }
    }

    /** {@code http.api_token} closes this API as it closes /api/v1. */
    private void requireToken(Context ctx) {
        if (!http.tokenRequired()) {
            return;
        }
        String given = ctx.header("Authorization");
        if (given == null || !MessageDigest.isEqual(("Bearer " + http.apiToken).getBytes(StandardCharsets.UTF_8),
                given.getBytes(StandardCharsets.UTF_8))) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"guerrillad\"");
            throw new ApiError(401, "Authorization", "Authorization: a valid bearer token is required");
        }
    }

    /** The session, or (none, or one that forgot its address) a new one with a random address, as the real service does. */
    private GuerrillaSession owning(GuerrillaSession s, long now) {
        return s != null && s.hasAddress() ? s.seenAt(now) : fresh(randomUser() + "@" + domains.get(0), now);
    }

    private static GuerrillaSession fresh(String address, long now) {
        return new GuerrillaSession(address, now, now, now);
    }

    private String randomUser() {
        char[] c = new char[RANDOM_USER_CHARS];
        for (int i = 0; i < c.length; i++) {
            c[i] = USER_ALPHABET[random.nextInt(USER_ALPHABET.length)];
        }
        return new String(c);
    }

    private void getEmailAddress(Context ctx, Params p, GuerrillaSession session, long now) throws SQLException {
        String domain = p.optional("domain").map(d -> ours("domain", d)).orElse(domains.get(0));
        GuerrillaSession s = session != null && session.hasAddress() ? session.seenAt(now)
                : fresh(randomUser() + "@" + domain, now);
        reply(ctx, s, addressFields(s));
    }

    private void setEmailUser(Context ctx, Params p, GuerrillaSession session, long now) throws SQLException {
        String user = p.required("email_user").trim().toLowerCase(Locale.ROOT);
        // The domain: the domain argument, else the one of a whole address given, else the session's, else the first.
        Optional<String> domain = p.optional("domain").map(d -> ours("domain", d));
        int at = user.indexOf('@');
        if (at >= 0) {
            String given = ours("email_user", user.substring(at + 1));
            domain = Optional.of(domain.orElse(given));
            user = user.substring(0, at);
        }
        if (!USER.matcher(user).matches()) {
            throw ApiError.badParameter("email_user", "letters, digits and . _ + - (not first or last .), at most 64");
        }
        if (domain.isEmpty() && session != null && session.hasAddress()) {
            String current = session.address().substring(session.address().indexOf('@') + 1);
            domain = domains.contains(current) ? Optional.of(current) : Optional.empty();
        }
        String address = user + "@" + domain.orElse(domains.get(0));
        try {
            MailboxAddress.key(address);
        } catch (IllegalArgumentException e) {
            throw ApiError.badParameter("email_user", e.getMessage());
        }
        // The document: the address "will be given 60 minutes again".
        GuerrillaSession s = fresh(address, now);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("alias_error", "");
        body.putAll(addressFields(s));
        reply(ctx, s, body);
    }

    /** A domain a client names (the {@code domain} argument, or the one in a whole address), which must be one of ours. */
    private String ours(String parameter, String domain) {
        String d = domain.trim().toLowerCase(Locale.ROOT);
        if (!domains.contains(d)) {
            throw ApiError.badParameter(parameter, "not a domain of this server (" + String.join(", ", domains) + ")");
        }
        return d;
    }

    private Map<String, Object> addressFields(GuerrillaSession s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("email_addr", s.address());
        m.put("email_timestamp", s.timestamp());
        m.put("alias", alias(s));
        return m;
    }

    /** This server keeps no aliases (the real service's alias also receives mail): the address's own local part. */
    private static String alias(GuerrillaSession s) {
        int at = s.address().indexOf('@');
        return at < 0 ? "" : s.address().substring(0, at);
    }

    private void list(Context ctx, GuerrillaSession s, long after, long before, int offset, int limit) throws Exception {
        List<Listed> rows = queries.slice(s.address(), after, before, offset, limit);
        Map<Long, String> excerptsById = excerpts(s.address(), rows);
        List<Map<String, Object>> items = new ArrayList<>();
        for (Listed l : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mail_id", Long.toString(l.summary().id()));
            m.put("mail_from", html(l.summary().from()));
            m.put("mail_subject", html(l.summary().subject()));
            m.put("mail_excerpt", html(excerptsById.getOrDefault(l.summary().id(), "")));
            m.put("mail_timestamp", Long.toString(l.summary().date().getEpochSecond()));
            m.put("mail_read", l.read() ? "1" : "0");
            m.put("mail_date", TIME.format(l.summary().date()));
            m.put("att", l.summary().hasAttachment() ? "1" : "0");
            m.put("mail_size", Long.toString(l.storedSize()));
            items.add(m);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("list", items);
        body.put("count", Long.toString(queries.count(s.address(), after, before)));
        body.put("email", s.address());
        body.put("alias", alias(s));
        body.put("ts", s.timestamp());
        reply(ctx, s, body);
    }

    /** The listed messages' excerpts: kept ones from the cache, the others from one query for their bodies. */
    private Map<Long, String> excerpts(String mailbox, List<Listed> rows) throws SQLException {
        Map<Long, String> found = new HashMap<>();
        List<Long> missing = new ArrayList<>();
        for (Listed l : rows) {
            String kept = excerpts.get(mailbox, l.summary().id());
            if (kept != null) {
                found.put(l.summary().id(), kept);
            } else {
                missing.add(l.summary().id());
            }
        }
        for (Stored m : queries.messages(mailbox, missing).values()) {
            Optional<String> made = excerpt(m);
            made.ifPresent(e -> excerpts.put(mailbox, m.summary().id(), e));
            found.put(m.summary().id(), made.orElse(""));
        }
        return found;
    }

    /**
     * The start of the message's text (or its HTML without tags), from its first octets only; empty
     * when its body cannot be read now (not kept, so a later poll tries again).
     */
    private Optional<String> excerpt(Stored m) {
        try {
            byte[] bytes = raw.load(m);
            MessageParser.Parsed p = MessageParser.parse(bytes.length > EXCERPT_SOURCE_BYTES
                    ? Arrays.copyOf(bytes, EXCERPT_SOURCE_BYTES) : bytes);
            return Optional.of(Excerpt.of(p, EXCERPT_CHARS));
        } catch (Exception e) {
            // A list must not fail for one body that expired or does not decode: that message shows no excerpt.
            return Optional.empty();
        }
    }

    private void fetchEmail(Context ctx, Params p, GuerrillaSession s) throws Exception {
        long id = p.number("email_id", null, 1, Long.MAX_VALUE);
        Optional<Stored> found = queries.message(s.address(), id);
        if (found.isEmpty()) {
            // As the real service: another address's (or no) message is a bare false.
            reply(ctx, s, false);
            return;
        }
        Stored m = found.get();
        byte[] bytes = raw.load(m);
        MessageParser.Parsed parsed = MessageParser.parse(bytes);
        boolean htmlBody = parsed.html() != null && !parsed.html().isBlank();
        String text = parsed.text() == null ? "" : parsed.text();
        queries.markRead(id);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("mail_id", Long.toString(id));
        body.put("mail_from", html(m.summary().from()));
        String recipient = m.recipient();
        body.put("mail_recipient", html(recipient.contains("@") ? recipient.substring(0, recipient.lastIndexOf('@')) : recipient));
        body.put("mail_subject", html(m.summary().subject()));
        body.put("mail_excerpt", html(Excerpt.of(parsed, EXCERPT_CHARS)));
        body.put("mail_body", htmlBody ? HtmlSanitizer.sanitize(parsed.html()) : html(text));
        body.put("mail_timestamp", Long.toString(m.summary().date().getEpochSecond()));
        body.put("mail_date", DATE_TIME.format(m.summary().date()));
        body.put("mail_read", "1");
        body.put("content_type", htmlBody ? "text/html" : "text");
        body.put("reply_to", html(parsed.headers().stream().filter(h -> h.name().equalsIgnoreCase("Reply-To"))
                .map(MessageParser.Header::value).findFirst().orElse("")));
        body.put("mail_size", Long.toString(bytes.length));
        body.put("att", parsed.attachments().isEmpty() ? "0" : "1");
        List<Map<String, String>> attachments = new ArrayList<>();
        for (MessageParser.Attachment a : parsed.attachments()) {
            attachments.add(Map.of("t", a.contentType(), "f", a.filename(), "p", Integer.toString(a.index())));
        }
        body.put("att_info", attachments);
        reply(ctx, s, body);
    }

    private void delEmail(Context ctx, Params p, GuerrillaSession s) throws SQLException {
        List<Long> ids = p.ids("email_ids", MAX_DELETE_IDS);
        List<Long> deleted = new ArrayList<>();
        for (long id : ids) {
            if (queries.delete(s.address(), id)) {
                deleted.add(id);
            }
        }
        queries.forgetRead(deleted);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("deleted_ids", deleted.stream().map(String::valueOf).toList());
        reply(ctx, s, body);
    }

    /** The document: the session stays, its address is forgotten (not deleted); true if successful. */
    private void forgetMe(Context ctx, Params p, GuerrillaSession session, long now) throws SQLException {
        String address = p.required("email_addr").trim();
        if (session == null || !session.hasAddress() || !session.address().equalsIgnoreCase(address)) {
            reply(ctx, session == null ? new GuerrillaSession("", 0, 0, now) : session.seenAt(now), false);
            return;
        }
        reply(ctx, new GuerrillaSession("", 0, 0, now), true);
    }

    /** The document: an hour more, at most {@code extend_max_minutes} beyond the address's start; not once expired. */
    private void extend(Context ctx, GuerrillaSession s, long now) throws SQLException {
        long lifetime = config.addressMinutes * 60L;
        boolean expired = now > s.timestamp() + lifetime;
        GuerrillaSession next = s;
        if (!expired && s.timestamp() + lifetime - s.created() <= config.extendMaxMinutes * 60L) {
            next = new GuerrillaSession(s.address(), s.created(), s.timestamp() + lifetime, now);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("expired", expired);
        body.put("email_timestamp", next.timestamp());
        body.put("affected", next == s ? 0 : 1);
        reply(ctx, next, body);
    }

    /**
     * Writes the reply with the session's new token, in the body ({@code sid_token}, for objects) and the
     * cookie. {@code SameSite=Strict}: a link or form on another site never carries the session, so it
     * cannot act on it (no CSRF through the cookie, even in a browser that sends no {@code Sec-Fetch-Site}).
     */
    private void reply(Context ctx, GuerrillaSession s, Object body) throws SQLException {
        String token = codec().encode(s);
        ctx.res().addHeader("Set-Cookie", COOKIE + "=" + token + "; Path=/; HttpOnly; SameSite=Strict");
        if (body instanceof Map<?, ?> map) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) map;
            m.put("sid_token", token);
        }
        HttpListener.json(ctx, body);
    }

    /** HTML entities, as the document says subject and excerpt come (and so everything a client may insert as HTML). */
    static String html(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#039;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** Arguments as PHP's $_REQUEST sees them: query string and form body together. */
    private static final class Params {
        private final Map<String, List<String>> values = new LinkedHashMap<>();

        Params(Context ctx) {
            try {
                ctx.queryParamMap().forEach((k, v) -> values.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
                String type = ctx.contentType();
                if (type != null && type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
                    ctx.formParamMap().forEach((k, v) -> values.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
                }
            } catch (RuntimeException e) {
                throw new ApiError(400, null, "the query string or form body is not URL-encoded");
            }
        }

        Optional<String> optional(String name) {
            List<String> v = values.get(name);
            if (v == null || v.isEmpty()) {
                return Optional.empty();
            }
            if (v.size() > 1) {
                throw ApiError.badParameter(name, "given more than once");
            }
            return Optional.of(v.get(0));
        }

        String required(String name) {
            String v = optional(name).orElseThrow(() -> ApiError.badParameter(name, "missing"));
            if (v.isBlank()) {
                throw ApiError.badParameter(name, "must not be empty");
            }
            return v;
        }

        /** A whole number in min..max; {@code absent} when not given (null: required). */
        long number(String name, Long absent, long min, long max) {
            Optional<String> v = optional(name);
            if (v.isEmpty()) {
                if (absent == null) {
                    throw ApiError.badParameter(name, "missing");
                }
                return absent;
            }
            return RestApi.parse(name, v.get(), min, max);
        }

        /** {@code name[]} repeated, or {@code name} once (the document allows "array or an integer"). */
        List<Long> ids(String name, int max) {
            List<String> raw = new ArrayList<>(values.getOrDefault(name + "[]", List.of()));
            raw.addAll(values.getOrDefault(name, List.of()));
            if (raw.isEmpty()) {
                throw ApiError.badParameter(name + "[]", "missing");
            }
            if (raw.size() > max) {
                throw ApiError.badParameter(name + "[]", "at most " + max + " per call");
            }
            List<Long> ids = new ArrayList<>();
            for (String v : raw) {
                ids.add(RestApi.parse(name + "[]", v, 1, Long.MAX_VALUE));
            }
            return ids;
        }
    }
}
