package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.guerrilla.smtpd.codec.BareNewlinePolicy;
import io.guerrilla.smtpd.smtp.Extension;

import java.net.IDN;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One SMTP listener's settings. At the top level of the config these keys describe the single
 * default listener and act as defaults for every entry of {@code servers:}, which may override any
 * of them. Key names follow go-guerrilla's where it has one so its users recognise them.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public class ListenerConfig {
    public String listenInterface = "127.0.0.1:2525";
    public String hostName = LocalHost.name();
    public List<String> allowedHosts = LocalHost.defaultAllowedHosts();
    public long maxSize = Limits.MAX_SIZE;
    public int maxClients = Limits.MAX_CLIENTS;
    public int maxRecipients = Limits.MAX_RECIPIENTS;
    public int maxBadCommands = Limits.MAX_BAD_COMMANDS;
    public int maxCommandLineLength = Limits.MAX_COMMAND_LINE_LENGTH;
    public int maxDataLineLength = Limits.MAX_DATA_LINE_LENGTH;
    public int timeout = Limits.TIMEOUT_SECONDS;
    /** "normalize" (store bare CR/LF as CRLF, Postfix 3.9's default) or "reject" (550 5.6.0). */
    public BareNewlinePolicy bareNewline = BareNewlinePolicy.NORMALIZE;
    public int maxConnectionsPerIp = Limits.MAX_CONNECTIONS_PER_IP;
    public int connectionRatePerIp = Limits.CONNECTION_RATE_PER_IP;
    public int maxMessagesPerConnection = Limits.MAX_MESSAGES_PER_CONNECTION;
    public int minDataRate = Limits.MIN_DATA_RATE;
    public int minDataRateWindow = Limits.MIN_DATA_RATE_WINDOW_SECONDS;
    public TlsConfig tls = new TlsConfig();
    /** Expect a PROXY protocol v1/v2 header (HAProxy, AWS NLB...) before anything else. */
    public boolean proxyProtocol = false;
    /** Peers allowed to send that header; it names the real client, so only our own proxies may. */
    public List<String> trustedProxies = List.of();
    public int proxyProtocolTimeout = Limits.PROXY_PROTOCOL_TIMEOUT_SECONDS;
    /** Clients allowed to use XCLIENT (Postfix) to say on whose behalf they connect. */
    public List<String> xclientTrusted = List.of();
    /** ESMTP extensions not to offer (e.g. [CHUNKING, BINARYMIME]); empty: all of them. */
    public List<String> disabledExtensions = List.of();
    public long spillThreshold = Limits.SPILL_THRESHOLD;
    /** Where bodies above spill_threshold are written while they are received; empty: the JVM's temp directory. */
    public String spillDirectory = "";

    /** Adds each problem as "prefix + key: what is wrong". */
    void validateListener(String prefix, List<String> errors) {
        try {
            HostPort.parse(listenInterface);
        } catch (IllegalArgumentException e) {
            errors.add(prefix + "listen_interface: " + e.getMessage());
        }
        if (hostName == null || hostName.isBlank() || hostName.chars().anyMatch(c -> c <= ' ' || c == 127)) {
            errors.add(prefix + "host_name: must be a non-empty name without spaces or control characters");
        }
        if (allowedHosts == null || allowedHosts.isEmpty()) {
            errors.add(prefix + "allowed_hosts: must list at least one domain (use \"*\" to accept every domain)");
        } else if (allowedHosts.stream().anyMatch(h -> h == null || h.isBlank())) {
            errors.add(prefix + "allowed_hosts: empty entry");
        } else {
            allowedHosts.stream().filter(h -> !isHostPattern(h)).forEach(h -> errors.add(prefix
                    + "allowed_hosts: \"" + h + "\" is not a domain (letters, digits and hyphens in dot-separated"
                    + " labels, * wildcards, or an address literal in [])"));
        }
        positive(errors, prefix + "max_size", maxSize);
        positive(errors, prefix + "max_clients", maxClients);
        if (maxRecipients < 1) {
            errors.add(prefix + "max_recipients: must be at least 1 (RFC 5321 asks for 100)");
        }
        positive(errors, prefix + "max_bad_commands", maxBadCommands);
        if (maxCommandLineLength < 512) {
            errors.add(prefix + "max_command_line_length: must be at least 512 (RFC 5321 4.5.3.1.4)");
        }
        if (maxDataLineLength != 0 && maxDataLineLength < 1000) {
            errors.add(prefix + "max_data_line_length: must be 0 (no limit) or at least 1000 (RFC 5321 4.5.3.1.6)");
        }
        positive(errors, prefix + "timeout", timeout);
        if (bareNewline == null) {
            errors.add(prefix + "bare_newline: missing");
        }
        validateAbuseLimits(prefix, errors);
        validateTrust(prefix, errors);
        validateSpill(prefix, errors);
        validateExtensions(prefix, errors);
    }

    private void validateExtensions(String prefix, List<String> errors) {
        if (disabledExtensions == null) {
            errors.add(prefix + "disabled_extensions: must be a list");
            return;
        }
        for (String name : disabledExtensions) {
            if (Extension.byKeyword(name).isEmpty()) {
                errors.add(prefix + "disabled_extensions: unknown extension \"" + name + "\" (known: "
                        + Arrays.toString(Extension.values()) + ")");
            }
        }
        if (enabledExtensions().contains(Extension.BINARYMIME) && !enabledExtensions().contains(Extension.CHUNKING)) {
            errors.add(prefix + "disabled_extensions: BINARYMIME needs CHUNKING (RFC 3030 3); disable both");
        }
    }

    /** The extensions to offer: all but those in disabled_extensions. */
    public Set<Extension> enabledExtensions() {
        Set<Extension> on = EnumSet.allOf(Extension.class);
        if (disabledExtensions != null) {
            disabledExtensions.forEach(n -> Extension.byKeyword(n).ifPresent(on::remove));
        }
        return on;
    }

    private void validateSpill(String prefix, List<String> errors) {
        positive(errors, prefix + "spill_threshold", spillThreshold);
        if (spillDirectory == null || !spillDirectory.isEmpty() && !Files.isDirectory(Path.of(spillDirectory))) {
            errors.add(prefix + "spill_directory: must name an existing directory");
        }
    }

    private void validateAbuseLimits(String prefix, List<String> errors) {
        notNegative(errors, prefix + "max_connections_per_ip", maxConnectionsPerIp);
        notNegative(errors, prefix + "connection_rate_per_ip", connectionRatePerIp);
        positive(errors, prefix + "max_messages_per_connection", maxMessagesPerConnection);
        notNegative(errors, prefix + "min_data_rate", minDataRate);
        positive(errors, prefix + "min_data_rate_window", minDataRateWindow);
    }

    /**
     * A domain (RFC 1035 labels, international ones through IDNA), a glob with {@code *}, or an
     * address literal such as {@code [192.0.2.1]}: what a RCPT TO domain can be compared with. A
     * typo such as "a..com" or "bad host" could never match and would refuse that domain's mail.
     */
    static boolean isHostPattern(String entry) {
        String h = entry.trim();
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (h.length() > 2 && h.startsWith("[") && h.endsWith("]")) {
            return h.substring(1, h.length() - 1).chars().noneMatch(c -> c <= ' ' || c == '[' || c == ']');
        }
        String ascii;
        try {
            ascii = IDN.toASCII(h.replace('*', 'x'), IDN.ALLOW_UNASSIGNED);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (ascii.isEmpty() || ascii.length() > 253) {
            return false;
        }
        for (String label : ascii.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")
                    || !label.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '-' || c == '_'))) {
                return false;
            }
        }
        return true;
    }

    static void notNegative(List<String> errors, String key, long value) {
        if (value < 0) {
            errors.add(key + ": must be 0 (off) or more");
        }
    }

    private void validateTrust(String prefix, List<String> errors) {
        if (tls == null) {
            errors.add(prefix + "tls: must be a map (leave it out to disable TLS)");
        } else {
            tls.validate(prefix + "tls.", errors);
        }
        networks(errors, prefix + "trusted_proxies", trustedProxies);
        networks(errors, prefix + "xclient_trusted", xclientTrusted);
        if (proxyProtocol && (trustedProxies == null || trustedProxies.isEmpty())) {
            errors.add(prefix + "trusted_proxies: must list the proxies' networks when proxy_protocol is true");
        }
        positive(errors, prefix + "proxy_protocol_timeout", proxyProtocolTimeout);
    }

    private static void networks(List<String> errors, String key, List<String> entries) {
        try {
            TrustedNetworks.parse(entries);
        } catch (IllegalArgumentException e) {
            errors.add(key + e.getMessage());
        }
    }

    static void positive(List<String> errors, String key, long value) {
        if (value <= 0) {
            errors.add(key + ": must be greater than 0");
        }
    }

    static String lower(String s) {
        return s == null ? "" : s.toLowerCase(Locale.ROOT);
    }
}
