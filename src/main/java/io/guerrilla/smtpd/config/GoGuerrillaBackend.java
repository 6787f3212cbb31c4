package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * go-guerrilla's {@code backend_config} onto {@code store:}. Where go-guerrilla would have put a
 * message (the SQL processor's {@code sql_driver}/{@code sql_dsn}, the GuerrillaRedisDB processor's
 * {@code mysql_*} keys, the Redis processor's {@code redis_interface}) is mapped key by key; a
 * storage key that cannot be honoured (another table, a custom INSERT, a driver or processor this
 * server lacks) is an error, because the alternative is mail quietly going to another store.
 */
final class GoGuerrillaBackend {
    /** The only table this server writes; go-guerrilla's own default and its README's. */
    private static final String MAIL_TABLE = "new_mail";
    private static final Pattern GO_DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
    /** go-sql-driver DSN parameters that only change how Go decodes values; nothing to map. */
    private static final Set<String> GO_ONLY_DSN_PARAMS = Set.of("charset", "collation", "parseTime", "loc",
            "interpolateParams", "columnsWithAlias", "clientFoundRows");
    /** go-guerrilla processor names (lower case, as it matches them) onto this server's. */
    private static final Map<String, List<ProcessorName>> PROCESSORS = Map.of(
            "headersparser", List.of(ProcessorName.HEADERSPARSER),
            "header", List.of(ProcessorName.HEADER),
            "hasher", List.of(ProcessorName.HASHER),
            "compressor", List.of(ProcessorName.COMPRESSOR),
            "debugger", List.of(ProcessorName.DEBUGGER),
            "redis", List.of(ProcessorName.REDIS),
            "sql", List.of(ProcessorName.SQL),
            "mysql", List.of(ProcessorName.SQL),
            // The monolithic example processor: hash, zlib body in Redis under the hash, row in MySQL.
            "guerrillaredisdb", List.of(ProcessorName.HASHER, ProcessorName.COMPRESSOR, ProcessorName.REDIS,
                    ProcessorName.SQL));
    /** go-guerrilla's save_process when none is given: log the envelope, store nothing. */
    private static final String GO_DEFAULT_SAVE_PROCESS = "Debugger";

    private final List<String> warnings;
    private final List<String> errors;
    private final ObjectNode store;
    private final ObjectNode root;

    private GoGuerrillaBackend(ObjectNode root, List<String> warnings, List<String> errors) {
        this.root = root;
        this.store = root.putObject("store");
        this.warnings = warnings;
        this.errors = errors;
    }

    /** Fills {@code out.store} (and host_name) from backend_config; adds to warnings and errors. */
    static void translate(JsonNode backend, String backendName, ObjectNode out, List<String> warnings,
                          List<String> errors) {
        GoGuerrillaBackend b = new GoGuerrillaBackend(out, warnings, errors);
        if (backend.isMissingNode() || backend.isNull()) {
            b.saveProcess(defaultSaveProcess(backendName), false);
            return;
        }
        if (!(backend instanceof ObjectNode config)) {
            errors.add("backend_config: must be an object");
            return;
        }
        b.translate(config, backendName);
    }

    private static String defaultSaveProcess(String backendName) {
        // go-guerrilla 1.x chose the processor by backend name; "guerrilla-db-redis" was the MySQL+Redis one.
        return backendName.equalsIgnoreCase("guerrilla-db-redis") ? "GuerrillaRedisDB" : GO_DEFAULT_SAVE_PROCESS;
    }

    private void translate(ObjectNode in, String backendName) {
        boolean sqlSettings = storage(in);
        for (Map.Entry<String, JsonNode> e : in.properties()) {
            String key = "backend_config." + e.getKey();
            JsonNode v = e.getValue();
            switch (e.getKey()) {
                case "sql_driver", "sql_dsn", "mysql_host", "mysql_db", "mysql_user", "mysql_pass", "save_process" -> { }
                case "gw_save_timeout" -> {
                    Long ms = goDurationMillis(key, v.asText());
                    if (ms != null) {
                        store.put("timeout", (int) Math.min(Integer.MAX_VALUE, (ms + 999) / 1000));
                    }
                }
                case "gw_val_rcpt_timeout" -> {
                    Long ms = goDurationMillis(key, v.asText());
                    if (ms != null) {
                        store.put("validate_timeout_ms", (int) Math.min(Integer.MAX_VALUE, ms));
                    }
                }
                case "save_workers_size" -> {
                    if (!in.has("sql_max_open_conns")) {
                        store.put("pool_size", v.asInt());
                    }
                }
                case "sql_max_open_conns" -> {
                    // 0 is go's "unlimited"; keep this server's bounded default then.
                    if (v.asInt() > 0) {
                        store.put("pool_size", v.asInt());
                    }
                }
                case "sql_max_idle_conns" -> store.put("pool_min_idle", v.asInt());
                case "mail_table" -> {
                    if (!v.asText().equals(MAIL_TABLE)) {
                        errors.add(key + ": \"" + v.asText() + "\": this server writes the table " + MAIL_TABLE
                                + " only; rename the table (or set mail_table to " + MAIL_TABLE + ")");
                    }
                }
                case "sql_insert", "sql_values" -> errors.add(key + ": a custom INSERT cannot be honoured here;"
                        + " the row has go-guerrilla's default columns (remove the key to accept them)");
                case "stream_save_process" -> {
                    if (!v.asText().isBlank()) {
                        errors.add(key + ": streaming processors have no equivalent here; mail they store would"
                                + " go elsewhere (convert to save_process)");
                    }
                }
                case "primary_mail_host" -> root.put("host_name", v.asText());
                case "log_received_mails" -> store.put("debugger_log_received_mails", v.asBoolean(false));
                case "redis_interface" -> {
                    try {
                        HostPort hp = HostPort.parse(v.asText());
                        store.with("redis").put("host", hp.host().isEmpty() ? "127.0.0.1" : hp.host()).put("port", hp.port());
                    } catch (IllegalArgumentException ex) {
                        errors.add(key + ": " + ex.getMessage());
                    }
                }
                case "redis_expire_seconds" -> store.with("redis").put("ttl", v.asInt());
                case "validate_process" -> validateProcess(key, v.asText());
                case "sql_max_conn_lifetime" -> warnings.add(key + ": no equivalent, ignored"
                        + " (the pool retires connections after 30 minutes)");
                default -> warnings.add(key + ": no equivalent, ignored");
            }
        }
        JsonNode sp = in.get("save_process");
        saveProcess(sp == null ? defaultSaveProcess(backendName) : sp.asText(), sqlSettings);
        if (store.has("pool_min_idle") && store.has("pool_size")
                && store.get("pool_min_idle").asInt() > store.get("pool_size").asInt()) {
            store.put("pool_min_idle", store.get("pool_size").asInt());
        }
    }

    /** Maps where rows go; true when the config names an SQL store of its own. */
    private boolean storage(ObjectNode in) {
        String driver = in.path("sql_driver").asText("");
        boolean dsn = in.has("sql_dsn");
        boolean mysqlKeys = in.has("mysql_host") || in.has("mysql_db");
        if (dsn && mysqlKeys) {
            errors.add("backend_config: both sql_dsn and mysql_host/mysql_db name a database; keep the one"
                    + " your processor used (sql_dsn for SQL, mysql_* for GuerrillaRedisDB)");
            return true;
        }
        if (mysqlKeys) {
            store.put("type", "mysql");
            String host = in.path("mysql_host").asText("127.0.0.1:3306");
            try {
                HostPort hp = host.contains(":") ? HostPort.parse(host) : new HostPort(host, 3306);
                store.put("host", hp.host()).put("port", hp.port());
            } catch (IllegalArgumentException e) {
                errors.add("backend_config.mysql_host: " + e.getMessage());
            }
            store.put("database", in.path("mysql_db").asText(""));
            store.put("user", in.path("mysql_user").asText(""));
            store.put("password", in.path("mysql_pass").asText(""));
            return true;
        }
        if (driver.isEmpty()) {
            if (dsn) {
                errors.add("backend_config.sql_dsn: no sql_driver says which database it names");
                return true;
            }
            return false;
        }
        switch (driver) {
            case "sqlite3", "sqlite" -> {
                store.put("type", "sqlite");
                if (dsn) {
                    store.put("path", sqlitePath(in.get("sql_dsn").asText()));
                }
            }
            case "mysql" -> {
                store.put("type", "mysql");
                if (!dsn) {
                    errors.add("backend_config.sql_dsn: missing; sql_driver mysql needs user:password@tcp(host:port)/db");
                } else {
                    mysqlDsn(in.get("sql_dsn").asText());
                }
            }
            case "postgres", "pgx" -> errors.add("backend_config.sql_driver: \"" + driver + "\": go-guerrilla's"
                    + " SQL processor writes MySQL syntax, so such a config relies on sql_insert, which is not"
                    + " honoured here; write a YAML config with store.type: postgres");
            default -> errors.add("backend_config.sql_driver: \"" + driver + "\" has no equivalent here"
                    + " (known: mysql, sqlite3)");
        }
        return true;
    }

    private void mysqlDsn(String text) {
        String key = "backend_config.sql_dsn";
        GoSqlDsn dsn;
        try {
            dsn = GoSqlDsn.parseMysql(text);
        } catch (IllegalArgumentException e) {
            errors.add(key + ": " + e.getMessage());
            return;
        }
        if (!dsn.protocol().equals("tcp")) {
            errors.add(key + ": protocol \"" + dsn.protocol() + "\" is not supported here; use tcp(host:port),"
                    + " or a YAML config with store.dsn: jdbc:mariadb://localhost/" + dsn.database()
                    + "?localSocket=" + dsn.host());
            return;
        }
        store.put("host", dsn.host()).put("port", dsn.port()).put("database", dsn.database())
                .put("user", dsn.user()).put("password", dsn.password());
        for (Map.Entry<String, String> p : dsn.params().entrySet()) {
            String name = p.getKey();
            String value = p.getValue();
            if (name.equals("timeout")) {
                Long ms = goDurationMillis(key + " timeout", value);
                if (ms != null) {
                    store.put("connect_timeout_ms", (int) Math.max(250, Math.min(Integer.MAX_VALUE, ms)));
                }
            } else if (name.equals("tls")) {
                if (!value.isEmpty() && !value.equals("false")) {
                    errors.add(key + ": tls=" + value + " (TLS to the database) cannot be honoured from a"
                            + " go-guerrilla config; write a YAML config with store.dsn: a JDBC URL with sslMode");
                }
            } else if (name.equals("readTimeout") || name.equals("writeTimeout")) {
                warnings.add(key + ": " + name + " has no equivalent; store.timeout (gw_save_timeout) bounds each save");
            } else if (!GO_ONLY_DSN_PARAMS.contains(name)) {
                warnings.add(key + ": parameter " + name + " has no equivalent, ignored");
            }
        }
    }

    /**
     * go-guerrilla's save_process onto this server's. A chain without SQL stored nothing in
     * go-guerrilla (Debugger only logs); here every message is committed before the 250, so SQL is
     * appended and the warning says where the rows go. A chain that kept bodies in Redis only, or
     * names a processor this server lacks, meant to store mail somewhere else: that is refused.
     */
    private void saveProcess(String spec, boolean sqlSettings) {
        String key = "backend_config.save_process";
        Set<ProcessorName> mapped = new LinkedHashSet<>();
        List<String> unknown = new ArrayList<>();
        for (String part : spec.split("\\|")) {
            String name = part.trim().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            List<ProcessorName> ours = PROCESSORS.get(name);
            if (ours == null) {
                unknown.add(part.trim());
            } else {
                mapped.addAll(ours);
                if (name.equals("guerrillaredisdb")) {
                    warnings.add(key + ": GuerrillaRedisDB runs as Hasher|Compressor|Redis|SQL; its \"to\""
                            + " column holds the recipient as sent, not user@primary_mail_host");
                }
            }
        }
        if (!unknown.isEmpty()) {
            errors.add(key + ": " + String.join(", ", unknown) + " has no equivalent here; the mail it"
                    + " stores would go elsewhere (known: HeadersParser, Header, Hasher, Compressor, Debugger,"
                    + " Redis, SQL, GuerrillaRedisDB)");
            return;
        }
        if (!mapped.contains(ProcessorName.SQL)) {
            if (mapped.contains(ProcessorName.REDIS) && !sqlSettings) {
                errors.add(key + ": \"" + spec + "\" keeps message bodies in Redis only; this server also"
                        + " commits a row per message, so name its database (sql_driver and sql_dsn) and add SQL");
                return;
            }
            mapped.add(ProcessorName.SQL);
            warnings.add(key + ": \"" + spec + "\" has no SQL, so go-guerrilla stored no message; here each"
                    + " message is committed before the 250, so SQL is appended: rows go to " + destination());
        }
        if (mapped.contains(ProcessorName.REDIS) && !mapped.contains(ProcessorName.HASHER)) {
            // go-guerrilla's Redis processor needs a hash before it too; it logged an error and stored nothing.
            errors.add(key + ": Redis needs Hasher before it (the body is stored under the hash)");
            return;
        }
        List<String> names = mapped.stream().map(ProcessorName::display).toList();
        store.put("save_process", String.join("|", names));
    }

    private String destination() {
        String type = store.path("type").asText("sqlite");
        if (type.equals("sqlite")) {
            return "the SQLite file " + store.path("path").asText(new StoreConfig().path);
        }
        return type + " database " + store.path("database").asText() + " on " + store.path("host").asText()
                + ":" + store.path("port").asText();
    }

    /**
     * go-guerrilla's validate_process onto this server's. Its SQL validator only refuses local
     * parts over 255 characters, which this server's address parser does already; a recipient
     * query here needs validate_sql, so SQL is dropped with a warning rather than made an error.
     */
    private void validateProcess(String key, String spec) {
        List<String> kept = new ArrayList<>();
        for (String part : spec.split("\\|")) {
            String name = part.trim().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            switch (name) {
                case "debugger" -> kept.add(ProcessorName.DEBUGGER.display());
                case "sql" -> warnings.add(key + ": go-guerrilla's SQL check only refused local parts over 255"
                        + " characters, which is done already; set validate_sql to check mailboxes");
                default -> {
                    if (PROCESSORS.containsKey(name)) {
                        warnings.add(key + ": " + part.trim() + " does not check recipients, ignored");
                    } else {
                        errors.add(key + ": " + part.trim() + " has no equivalent here; recipients it refused"
                                + " would be accepted");
                    }
                }
            }
        }
        store.put("validate_process", String.join("|", kept));
    }

    /** go's sqlite drivers take a path or a {@code file:} URI with query options. */
    private static String sqlitePath(String dsn) {
        String p = dsn.startsWith("file:") ? dsn.substring(5) : dsn;
        int q = p.indexOf('?');
        return q < 0 ? p : p.substring(0, q);
    }

    /** Milliseconds of a Go duration such as "30s", "2m" or "1500ms"; null (and an error) if not one. */
    private Long goDurationMillis(String key, String text) {
        Matcher m = GO_DURATION.matcher(text.trim());
        if (!m.matches()) {
            errors.add(key + ": \"" + text + "\" is not a duration like 30s");
            return null;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> n;
            case "s" -> n * 1000;
            case "m" -> n * 60_000;
            default -> n * 3_600_000;
        };
    }
}
