package io.guerrilla.smtpd.smtp;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The recipient domains this server accepts mail for. Entries are exact names or globs with
 * {@code *} (e.g. {@code *.example.org}; a lone {@code *} accepts every domain, which turns the
 * server into an open sink and must be chosen explicitly). Matching is case-insensitive, as DNS is.
 */
public final class AllowedHosts {
    private final Set<String> exact = new HashSet<>();
    private final List<String[]> globs = new ArrayList<>();
    private final List<String> entries;

    public AllowedHosts(List<String> entries) {
        this.entries = List.copyOf(entries);
        for (String e : entries) {
            String h = normalise(e);
            if (h.isEmpty()) {
                throw new IllegalArgumentException("empty host name");
            }
            if (h.indexOf('*') >= 0) {
                globs.add(h.split("\\*", -1));
            } else {
                exact.add(h);
            }
        }
    }

    public List<String> entries() {
        return entries;
    }

    public boolean allows(String domain) {
        if (domain == null) {
            return false;
        }
        String d = normalise(domain);
        if (exact.contains(d)) {
            return true;
        }
        for (String[] parts : globs) {
            if (globMatches(parts, d)) {
                return true;
            }
        }
        return false;
    }

    private static String normalise(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static boolean globMatches(String[] parts, String s) {
        if (!s.startsWith(parts[0])) {
            return false;
        }
        int pos = parts[0].length();
        for (int i = 1; i < parts.length - 1; i++) {
            int at = s.indexOf(parts[i], pos);
            if (at < 0) {
                return false;
            }
            pos = at + parts[i].length();
        }
        String last = parts[parts.length - 1];
        return s.length() - pos >= last.length() && s.endsWith(last);
    }
}
