package io.guerrilla.smtpd.mailbox;

import org.owasp.html.HtmlPolicyBuilder;
import org.owasp.html.PolicyFactory;
import org.owasp.html.Sanitizers;

/**
 * Makes a message's HTML inert with the OWASP Java HTML Sanitizer's allow-list: formatting, blocks,
 * tables, links (http, https, mailto; marked nofollow) and a vetted subset of inline CSS are kept;
 * scripts, event handlers, {@code javascript:} and other URL schemes, CSS expressions and
 * {@code url()}, forms, frames, {@code <meta>}, {@code <style>}, {@code <svg>} and {@code <object>} are dropped. Images keep
 * only {@code cid:} sources (parts of the same message): a remote image is a read receipt, so it
 * never loads from what the server hands out.
 */
public final class HtmlSanitizer {
    private static final PolicyFactory POLICY = policy("cid");
    /** The same, keeping {@code http:}/{@code https:} images too: for a reader who asked to see one message's images. */
    private static final PolicyFactory WITH_REMOTE_IMAGES = policy("cid", "http", "https");

    private static PolicyFactory policy(String... imageProtocols) {
        return Sanitizers.FORMATTING
            .and(Sanitizers.BLOCKS)
            .and(Sanitizers.TABLES)
            .and(Sanitizers.STYLES)
            .and(Sanitizers.LINKS)
            .and(new HtmlPolicyBuilder()
                    .allowElements("img")
                    .allowUrlProtocols(imageProtocols)
                    .allowAttributes("src").onElements("img")
                    .allowAttributes("alt", "title", "width", "height").onElements("img")
                    .toFactory())
            .and(new HtmlPolicyBuilder()
                    .allowElements("hr", "center", "font", "span", "div", "pre", "code", "small", "big", "sub", "sup")
                    .allowAttributes("color").onElements("font")
                    .allowAttributes("align").onElements("p", "div", "td", "th", "center")
                    .toFactory());
    }

    private HtmlSanitizer() {
    }

    public static String sanitize(String html) {
        return html == null ? null : POLICY.sanitize(html);
    }

    /**
     * As {@link #sanitize}, but remote ({@code http:}, {@code https:}) images stay: loading them tells the
     * sender the mail was read, so only for a reader who asked, and only under a policy that allows no other load.
     */
    public static String sanitizeWithRemoteImages(String html) {
        return html == null ? null : WITH_REMOTE_IMAGES.sanitize(html);
    }
}
