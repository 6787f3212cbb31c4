package io.guerrilla.smtpd.cli;

import ch.qos.logback.classic.Level;
import org.slf4j.LoggerFactory;

final class Logging {
    private Logging() {
    }

    static void setLevel(Level level) {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.guerrilla")).setLevel(level);
    }
}
