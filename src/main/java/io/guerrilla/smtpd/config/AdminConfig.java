package io.guerrilla.smtpd.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** The {@code admin:} section: the HTTP listener for health checks, metrics and stats. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public final class AdminConfig {
    /**
     * HOST:PORT to serve /healthz, /readyz, /metrics and /api/stats on; empty (the default) turns the
     * listener off. It has no authentication, so keep it on loopback or a private network.
     */
    public String listen = "";

    public boolean enabled() {
        return listen != null && !listen.isBlank();
    }

    void validate(String prefix, List<String> errors) {
        HostPort.checkOptional(prefix + "listen", listen, errors);
    }
}
