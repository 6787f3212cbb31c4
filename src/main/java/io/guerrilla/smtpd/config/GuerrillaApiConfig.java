package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code http.guerrilla_api:} section: the Guerrilla Mail JSON API at {@code /ajax.php}. Lifetimes
 * default to the ones the API's document (version 1.0, 2011) gives.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public final class GuerrillaApiConfig {
    /** The document: "Emails expire after 60 minutes"; set_email_user gives an address 60 minutes again. */
    public static final int ADDRESS_MINUTES = 60;
    /** The document: "A session can expire after about 18 minutes of inactivity". */
    public static final int SESSION_IDLE_MINUTES = 18;
    /** The document: extend adds an hour, "a maximum of 2 hours can be extended". */
    public static final int EXTEND_MAX_MINUTES = 120;
    /** Shortest secret accepted: 32 characters, as an HMAC-SHA256 key is 32 octets. */
    public static final int MIN_SECRET_CHARS = 32;

    public boolean enabled = true;

    /** Whether /ajax.php is served: enabled, and some domain to give addresses on. */
    public boolean serves(GuerrillaConfig config) {
        return enabled && !domains(config).isEmpty();
    }
    /**
     * Domains addresses are given on, the first by default. Empty: every allowed_hosts entry of every
     * listener that names one domain (no wildcard).
     */
    public List<String> domains = new ArrayList<>();
    /**
     * HMAC-SHA256 key that signs session tokens; every node serving the API must share it. Empty: one is
     * generated once and kept in the database (table gm_api_secret), which all nodes on it share.
     */
    public String secret = "";
    public int addressMinutes = ADDRESS_MINUTES;
    public int sessionIdleMinutes = SESSION_IDLE_MINUTES;
    public int extendMaxMinutes = EXTEND_MAX_MINUTES;

    /** The domains in use: {@link #domains}, or the single-domain allowed_hosts of {@code config}. */
    public List<String> domains(GuerrillaConfig config) {
        Set<String> out = new LinkedHashSet<>();
        if (domains != null && !domains.isEmpty()) {
            domains.forEach(d -> out.add(d.toLowerCase(Locale.ROOT)));
        } else {
            for (ListenerConfig l : config.listeners()) {
                for (String h : l.allowedHosts == null ? List.<String>of() : l.allowedHosts) {
                    String d = h.trim().toLowerCase(Locale.ROOT);
                    if (!d.isEmpty() && !d.contains("*") && !d.startsWith(".")) {
                        out.add(d);
                    }
                }
            }
        }
        return List.copyOf(out);
    }

    void validate(String prefix, GuerrillaConfig config, List<String> errors) {
        if (domains == null) {
            errors.add(prefix + "domains: must be a list (empty: the allowed_hosts without wildcards)");
        } else {
            for (String d : domains) {
                if (d == null || !d.matches("(?i)[a-z0-9](?:[a-z0-9-]{0,62}\\.)*[a-z0-9-]{1,63}")) {
                    errors.add(prefix + "domains: \"" + d + "\" is not a domain name");
                }
            }
        }
        // A catch-all (wildcard-only allowed_hosts) still serves everything else; only /ajax.php stays off.
        String none = prefix + "domains: none to give addresses on (allowed_hosts has only wildcards), so /ajax.php"
                + " is off; list the domains here to serve it";
        if (enabled && domains != null && domains(config).isEmpty() && !config.warnings.contains(none)) {
            config.warnings.add(none);
        }
        if (secret == null || (!secret.isEmpty() && secret.length() < MIN_SECRET_CHARS)) {
            errors.add(prefix + "secret: at least " + MIN_SECRET_CHARS + " characters, or empty to keep one in the database");
        }
        ListenerConfig.positive(errors, prefix + "address_minutes", addressMinutes);
        ListenerConfig.positive(errors, prefix + "session_idle_minutes", sessionIdleMinutes);
        if (extendMaxMinutes < 0) {
            errors.add(prefix + "extend_max_minutes: must not be negative (0: extend does nothing)");
        }
    }
}
