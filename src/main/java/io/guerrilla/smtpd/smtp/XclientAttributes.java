package io.guerrilla.smtpd.smtp;

import io.netty.util.NetUtil;

import java.util.Locale;

/**
 * The attributes of one XCLIENT command (Postfix XCLIENT_README): {@code XCLIENT 1*(SP name=value)},
 * values xtext-encoded (RFC 3461 section 4). Each field is null when the command did not set it or
 * set it to {@code [UNAVAILABLE]} / {@code [TEMPUNAVAIL]}. NAME, PORT and LOGIN are checked and
 * accepted but not kept: nothing here stores them (no reverse DNS, no AUTH).
 *
 * @param addr  the client's IP address (IPv6 without Postfix's {@code IPV6:} prefix)
 * @param helo  the client's HELO name
 * @param proto SMTP or ESMTP
 */
record XclientAttributes(String addr, String helo, String proto) {
    /** The attribute names this server takes, as advertised after XCLIENT in the EHLO reply. */
    static final String SUPPORTED = "NAME ADDR PORT PROTO HELO LOGIN";
    /** RFC 5321 4.5.3.1.2: a domain (HELO, NAME) is at most 255 octets. */
    private static final int MAX_NAME = 255;

    /** @throws IllegalArgumentException with the text of a 501 reply */
    static XclientAttributes parse(String argument) {
        String[] tokens = argument.trim().split(" +");
        if (tokens.length == 0 || tokens[0].isEmpty()) {
            throw new IllegalArgumentException("Syntax: XCLIENT attribute=value ...");
        }
        String addr = null;
        String helo = null;
        String proto = null;
        for (String token : tokens) {
            int eq = token.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("Bad XCLIENT attribute: " + printable(token));
            }
            String name = token.substring(0, eq).toUpperCase(Locale.ROOT);
            String value = xtextDecode(token.substring(eq + 1), name);
            boolean unknown = value.equals("[UNAVAILABLE]") || value.equals("[TEMPUNAVAIL]");
            switch (name) {
                case "ADDR" -> addr = unknown ? addr : address(value);
                case "HELO" -> helo = unknown ? helo : bounded(value, name);
                case "NAME" -> bounded(value, name);
                case "PROTO" -> proto = unknown ? proto : protocol(value);
                case "PORT" -> {
                    if (!unknown) {
                        port(value);
                    }
                }
                case "LOGIN" -> {
                    // No AUTH here, so there is no login to set; the value was checked as xtext.
                }
                default -> throw new IllegalArgumentException("Bad XCLIENT attribute name: " + printable(name));
            }
        }
        return new XclientAttributes(addr, helo, proto);
    }

    /** RFC 3461 xtext: printable ASCII but '+' and '=', and "+XX" hex escapes; no controls or spaces result. */
    private static String xtextDecode(String s, String name) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                int hi = i + 2 < s.length() ? hex(s.charAt(i + 1)) : -1;
                int lo = hi < 0 ? -1 : hex(s.charAt(i + 2));
                if (lo < 0) {
                    throw new IllegalArgumentException("Bad XCLIENT " + name + " xtext encoding");
                }
                c = (char) (hi * 16 + lo);
                i += 2;
            } else if (c == '=') {
                throw new IllegalArgumentException("Bad XCLIENT " + name + " xtext encoding");
            }
            // Decoded values end up in the Received header: a CR, LF or space would forge header lines.
            if (c <= ' ' || c >= 127) {
                throw new IllegalArgumentException("Bad XCLIENT " + name + " value: control, space or non-ASCII character");
            }
            out.append(c);
        }
        return out.toString();
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }

    private static String address(String v) {
        boolean v6 = v.regionMatches(true, 0, "IPV6:", 0, 5);
        String ip = v6 ? v.substring(5) : v;
        if (!(v6 ? AddressParser.isIPv6(ip) : AddressParser.isIPv4(ip))) {
            throw new IllegalArgumentException("Bad XCLIENT ADDR syntax: " + v);
        }
        // The same RFC 5952 form as addresses taken from the socket, so one client is one ip_addr.
        return NetUtil.toAddressString(NetUtil.createInetAddressFromIpAddressString(ip));
    }

    private static String bounded(String v, String name) {
        if (v.isEmpty() || v.length() > MAX_NAME) {
            throw new IllegalArgumentException("Bad XCLIENT " + name + " syntax: 1 to " + MAX_NAME + " characters");
        }
        return v;
    }

    private static String protocol(String v) {
        String p = v.toUpperCase(Locale.ROOT);
        if (!p.equals("SMTP") && !p.equals("ESMTP")) {
            throw new IllegalArgumentException("Bad XCLIENT PROTO syntax: SMTP or ESMTP");
        }
        return p;
    }

    private static void port(String v) {
        if (v.isEmpty() || v.length() > 5 || !v.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(v) > 65535) {
            throw new IllegalArgumentException("Bad XCLIENT PORT syntax: " + v);
        }
    }

    /** For echoing a client's token in a reply without letting it carry odd bytes back. */
    private static String printable(String s) {
        String t = s.length() > 64 ? s.substring(0, 64) : s;
        return t.replaceAll("[^\\x21-\\x7e]", "?");
    }
}
