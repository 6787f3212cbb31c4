package io.guerrilla.smtpd.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * This machine's name, read without DNS: InetAddress.getLocalHost() can block for seconds on a
 * resolver that is down, and a mail server must start anyway.
 */
public final class LocalHost {
    private LocalHost() {
    }

    public static String name() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.trim().toLowerCase(Locale.ROOT);
        }
        try {
            String f = Files.readString(Path.of("/etc/hostname")).trim();
            if (!f.isEmpty()) {
                return f.toLowerCase(Locale.ROOT);
            }
        } catch (IOException | SecurityException ignored) {
            // Not Linux, or not readable: fall through to the safe default.
        }
        return "localhost";
    }

    public static List<String> defaultAllowedHosts() {
        List<String> hosts = new ArrayList<>(List.of("localhost"));
        String n = name();
        if (!hosts.contains(n)) {
            hosts.add(n);
        }
        return hosts;
    }
}
