package io.guerrilla.smtpd.config;

import java.util.List;

/**
 * The configuration is unusable; the message names each key at fault. The warnings found on the
 * way (keys of a go-guerrilla config without an equivalent) travel with it, so an operator sees
 * them together with the errors rather than only once the errors are fixed.
 */
public class ConfigException extends Exception {
    private final List<String> warnings;

    public ConfigException(String message) {
        this(message, List.of());
    }

    public ConfigException(String message, List<String> warnings) {
        super(message);
        this.warnings = List.copyOf(warnings);
    }

    public List<String> warnings() {
        return warnings;
    }
}
