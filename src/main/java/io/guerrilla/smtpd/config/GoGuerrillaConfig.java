package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Accepts a go-guerrilla config ({@code goguerrilla.conf}, JSON) so its users can switch without
 * rewriting it: its keys are translated to this project's, then bound and checked like a YAML file.
 * A key without an equivalent that changes nothing about where mail goes becomes a warning (in
 * {@link GuerrillaConfig#warnings}); a storage key that cannot be honoured is an error (see
 * {@link GoGuerrillaBackend}), so mail never lands somewhere the operator did not ask for.
 */
final class GoGuerrillaConfig {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Listener keys that mean the same here. */
    private static final Set<String> SAME_LISTENER_KEYS = Set.of("host_name", "max_size", "timeout",
            "listen_interface", "max_clients");
    /** Keys of go-guerrilla's {@code tls} object (also found directly in a server entry before 1.6). */
    private static final Set<String> LEGACY_TLS_KEYS = Set.of("start_tls_on", "tls_always_on", "private_key_file",
            "public_key_file", "protocols", "ciphers", "curves", "client_auth_type", "root_cas_file");
    /** go-guerrilla (logrus) levels with no direct counterpart in Logback. */
    private static final Map<String, String> LEVELS = Map.of("fatal", "error", "panic", "error");
    /** go-guerrilla's protocol names for the versions offered here (older ones are refused, RFC 8996). */
    private static final Map<String, String> GO_TLS_PROTOCOLS = Map.of("tls1.2", "TLSv1.2", "tls1.3", "TLSv1.3");

    private GoGuerrillaConfig() {
    }

    /** A {@code .json} file, or any file whose first non-blank character opens a JSON object. */
    static boolean looksLikeOne(Path file, String text) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".json") || text.stripLeading().startsWith("{");
    }

    static GuerrillaConfig parse(String json, String source) throws ConfigException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (!(root instanceof ObjectNode in)) {
            throw new ConfigException(source + ": a go-guerrilla config must be a JSON object");
        }
        List<String> warnings = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        ObjectNode out = translate(in, warnings, errors, source);
        // go-guerrilla never deleted mail, and a front end reading its table may keep mail for days:
        // migrating must not start deleting it after retention's default hour.
        out.putObject("retention").put("max_age", "0").put("max_per_mailbox", 0);
        warnings.add("retention: off (go-guerrilla never deleted mail); to bound the store, write a YAML config with"
                + " retention.max_age / max_per_mailbox");
        List<String> sourced = warnings.stream().map(w -> source + ": " + w).toList();
        if (!errors.isEmpty()) {
            throw new ConfigException(errors.stream().map(e -> source + ": " + e)
                    .collect(Collectors.joining("\n")), sourced);
        }
        GuerrillaConfig cfg;
        try {
            cfg = ConfigLoader.fromTree(out, source);
        } catch (ConfigException e) {
            throw new ConfigException(e.getMessage(), sourced);
        }
        cfg.warnings.addAll(sourced);
        return cfg;
    }

    private static ObjectNode translate(ObjectNode in, List<String> warnings, List<String> errors, String source)
            throws ConfigException {
        ObjectNode out = NODES.objectNode();
        for (Map.Entry<String, JsonNode> e : in.properties()) {
            String key = e.getKey();
            JsonNode v = e.getValue();
            switch (key) {
                case "allowed_hosts", "pid_file" -> out.set(key, v);
                case "log_file" -> logFile(v, "log_file", out, warnings);
                case "log_level" -> {
                    String level = v.asText().toLowerCase(Locale.ROOT);
                    if (LEVELS.containsKey(level)) {
                        warnings.add("log_level: \"" + level + "\" has no equivalent, using \"" + LEVELS.get(level) + "\"");
                        level = LEVELS.get(level);
                    }
                    out.put("log_level", level);
                }
                case "backend_config", "backend_name" -> { }
                case "servers" -> servers(v, out, warnings, source);
                default -> warnings.add(key + ": no equivalent, ignored");
            }
        }
        GoGuerrillaBackend.translate(in.path("backend_config"), in.path("backend_name").asText(""), out, warnings, errors);
        return out;
    }

    private static void logFile(JsonNode v, String key, ObjectNode out, List<String> warnings) {
        String f = v.asText();
        switch (f) {
            case "stdout", "/dev/stdout" -> out.put("log_file", "stdout");
            case "stderr", "/dev/stderr" -> out.put("log_file", "stderr");
            case "off" -> warnings.add(key + ": \"off\" has no equivalent (logs go to stdout); set log_level: error to quieten them");
            default -> out.put("log_file", f);
        }
    }

    private static void servers(JsonNode v, ObjectNode out, List<String> warnings, String source)
            throws ConfigException {
        if (!(v instanceof ArrayNode list)) {
            throw new ConfigException(source + ": servers: must be a list");
        }
        ArrayNode servers = out.putArray("servers");
        for (int i = 0; i < list.size(); i++) {
            String prefix = "servers[" + i + "]";
            if (!(list.get(i) instanceof ObjectNode in)) {
                throw new ConfigException(source + ": " + prefix + ": must be an object");
            }
            if (!in.path("is_enabled").asBoolean(true)) {
                warnings.add(prefix + ": is_enabled is false, not started");
                continue;
            }
            ObjectNode server = NODES.objectNode();
            boolean legacyTls = false;
            for (Map.Entry<String, JsonNode> e : in.properties()) {
                String key = e.getKey();
                if (SAME_LISTENER_KEYS.contains(key)) {
                    server.set(key, e.getValue());
                } else if (key.equals("is_enabled")) {
                    continue;
                } else if (key.equals("tls")) {
                    tls(e.getValue(), server, prefix + ".tls", warnings);
                } else if (LEGACY_TLS_KEYS.contains(key)) {
                    // go-guerrilla before 1.6 kept the TLS keys beside the other listener keys.
                    legacyTls = true;
                } else if (key.equals("xclient_on")) {
                    xclient(e.getValue(), server, prefix, warnings);
                } else if (key.equals("log_file")) {
                    warnings.add(prefix + ".log_file: one log for all listeners here; set the top-level log_file");
                } else {
                    warnings.add(prefix + "." + key + ": no equivalent, ignored");
                }
            }
            if (legacyTls) {
                tls(in, server, prefix, warnings);
            }
            servers.add(server);
        }
        if (servers.isEmpty()) {
            throw new ConfigException(source + ": servers: no enabled server that can run here");
        }
    }

    /**
     * go-guerrilla's xclient_on believes XCLIENT from any client, which lets anyone on the Internet
     * choose the address stored in ip_addr; here only the listed networks may, so loopback stands in
     * for "the proxy on this machine" and the operator is told to list remote proxies.
     */
    private static void xclient(JsonNode on, ObjectNode server, String prefix, List<String> warnings) {
        if (on.asBoolean(false)) {
            server.putArray("xclient_trusted").add("127.0.0.0/8").add("::1/128");
            warnings.add(prefix + ".xclient_on: XCLIENT is accepted from loopback only (xclient_trusted);"
                    + " list any other proxy's network there");
        }
    }

    /**
     * go-guerrilla's TLS keys onto {@code tls:}: start_tls_on and tls_always_on are STARTTLS and
     * implicit TLS, the key files keep their roles, and protocols ("tls1.2") become JDK names. Go
     * cipher suite and curve names do not match the JDK's and client certificates are not asked
     * for, so those keys are warned about and the JDK defaults apply.
     */
    private static void tls(JsonNode tls, ObjectNode server, String prefix, List<String> warnings) {
        ObjectNode out = NODES.objectNode();
        tls.fieldNames().forEachRemaining(k -> {
            JsonNode v = tls.get(k);
            switch (k) {
                case "start_tls_on" -> out.put("start_tls", v.asBoolean(false));
                case "tls_always_on" -> out.put("implicit", v.asBoolean(false));
                case "private_key_file" -> out.put("key_file", v.asText());
                case "public_key_file" -> out.put("cert_file", v.asText());
                case "protocols" -> {
                    ArrayNode names = out.putArray("protocols");
                    for (JsonNode p : v) {
                        String name = GO_TLS_PROTOCOLS.get(p.asText().toLowerCase(Locale.ROOT));
                        if (name == null) {
                            warnings.add(prefix + ".protocols: \"" + p.asText() + "\" is not offered here (TLS 1.2 and 1.3 only)");
                        } else {
                            names.add(name);
                        }
                    }
                    if (names.isEmpty()) {
                        out.remove("protocols");
                    }
                }
                default -> {
                    if (LEGACY_TLS_KEYS.contains(k)) {
                        warnings.add(prefix + "." + k + ": no equivalent, the JDK's defaults apply");
                    }
                }
            }
        });
        if (out.path("start_tls").asBoolean(false) && out.path("implicit").asBoolean(false)) {
            out.put("start_tls", false);
        }
        if (out.path("start_tls").asBoolean(false) || out.path("implicit").asBoolean(false)) {
            server.set("tls", out);
        }
    }
}
