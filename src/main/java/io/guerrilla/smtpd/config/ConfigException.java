package io.guerrilla.smtpd.config;

/** The configuration is unusable; the message names each key at fault. */
public class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }
}
