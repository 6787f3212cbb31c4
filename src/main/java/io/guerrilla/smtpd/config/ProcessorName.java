package io.guerrilla.smtpd.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The built-in processors as named in {@code save_process} (case-insensitive, as go-guerrilla). Declared in
 * the only order that makes sense: headers are parsed before anything reads them, trace headers are
 * prepended before the copy is hashed, compressed or written, and SQL commits last, once the body is
 * wherever it goes.
 */
public enum ProcessorName {
    HEADERSPARSER, HEADER, HASHER, COMPRESSOR, DEBUGGER, REDIS, MEMCACHED, SQL;

    /** What the server did before the pipeline was configurable: rows with the raw message in {@code mail}. */
    public static final String DEFAULT_SAVE_PROCESS = "HeadersParser|Header|Hasher|SQL";

    /** Parses "A|B|C"; throws IllegalArgumentException naming the bad part. */
    public static List<ProcessorName> parse(String spec) {
        List<ProcessorName> out = new ArrayList<>();
        for (String part : spec.split("\\|", -1)) {
            String name = part.trim();
            try {
                out.add(valueOf(name.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown processor \"" + name + "\" (known: HeadersParser, Header,"
                        + " Hasher, Compressor, Debugger, Redis, Memcached, SQL)");
            }
        }
        return out;
    }

    /** Every reason the spec cannot work; empty when it is usable. */
    public static List<String> checkSaveProcess(String spec) {
        List<String> errors = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            errors.add("empty; at least SQL is needed, or nothing would be stored before the 250");
            return errors;
        }
        List<ProcessorName> names;
        try {
            names = parse(spec);
        } catch (IllegalArgumentException e) {
            errors.add(e.getMessage());
            return errors;
        }
        if (names.isEmpty() || names.get(names.size() - 1) != SQL || names.indexOf(SQL) != names.size() - 1) {
            errors.add("must end with SQL, once: the row is the commit that the 250 stands for");
        }
        ProcessorName previous = null;
        for (ProcessorName n : names) {
            if (n == DEBUGGER) {
                continue;
            }
            if (previous != null && n.ordinal() <= previous.ordinal()) {
                errors.add(n.display() + " after " + previous.display()
                        + ": order must be HeadersParser, Header, Hasher, Compressor, Redis, Memcached, SQL (each once)");
                break;
            }
            previous = n;
        }
        if ((names.contains(REDIS) || names.contains(MEMCACHED)) && !names.contains(HASHER)) {
            errors.add("Redis and Memcached keep bodies under the message hash, so Hasher must come before them");
        }
        if (names.contains(REDIS) && names.contains(MEMCACHED)) {
            errors.add("Redis and Memcached both hold the body; name one");
        }
        return errors;
    }

    /** Every reason a validate_process spec cannot work; empty when usable (an empty spec turns checks off). */
    public static List<String> checkValidateProcess(String spec, boolean hasValidateSql) {
        List<String> errors = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            return errors;
        }
        try {
            for (ProcessorName n : parse(spec)) {
                if (n != DEBUGGER && n != SQL) {
                    errors.add(n.display() + " does not check recipients (those that do: Debugger, SQL)");
                }
                if (n == SQL && !hasValidateSql) {
                    errors.add("SQL needs validate_sql, a query with one parameter, e.g."
                            + " \"SELECT 1 FROM mailboxes WHERE address = ?\"");
                }
            }
        } catch (IllegalArgumentException e) {
            errors.add(e.getMessage());
        }
        return errors;
    }

    /** The name as written in configs and logs. */
    public String display() {
        return switch (this) {
            case HEADERSPARSER -> "HeadersParser";
            case SQL -> "SQL";
            default -> name().charAt(0) + name().substring(1).toLowerCase(Locale.ROOT);
        };
    }
}
