package io.guerrilla.smtpd.config;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * IP networks allowed to speak for other clients (PROXY protocol senders, XCLIENT users). Entries
 * are CIDR networks ({@code 10.0.0.0/8}, {@code fd00::/8}) or single addresses; matching is
 * Netty's {@link IpSubnetFilterRule}. Addresses are parsed as literals only, so no entry and no
 * client-supplied address ever reaches DNS.
 */
public final class TrustedNetworks {
    public static final TrustedNetworks NONE = new TrustedNetworks(List.of());

    private final List<IpSubnetFilterRule> rules;

    private TrustedNetworks(List<IpSubnetFilterRule> rules) {
        this.rules = rules;
    }

    /**
     * @throws IllegalArgumentException naming the first bad entry as {@code "[index]: problem"}
     */
    public static TrustedNetworks parse(List<String> entries) {
        if (entries == null || entries.isEmpty()) {
            return NONE;
        }
        List<IpSubnetFilterRule> rules = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            try {
                rules.add(rule(entries.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("[" + i + "]: " + e.getMessage());
            }
        }
        return new TrustedNetworks(List.copyOf(rules));
    }

    private static IpSubnetFilterRule rule(String entry) {
        if (entry == null || entry.isBlank()) {
            throw new IllegalArgumentException("empty entry");
        }
        String s = entry.trim();
        int slash = s.indexOf('/');
        InetAddress address = literal(slash < 0 ? s : s.substring(0, slash));
        if (address == null) {
            throw new IllegalArgumentException("\"" + entry + "\" is not an IP address or CIDR network");
        }
        int max = address.getAddress().length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("prefix length of \"" + entry + "\" must be 0 to " + max);
            }
        }
        return new IpSubnetFilterRule(address, prefix, IpFilterRuleType.ACCEPT);
    }

    /** The address written as an IPv4 or IPv6 literal, or null; never a DNS lookup. */
    public static InetAddress literal(String ip) {
        return ip == null ? null : NetUtil.createInetAddressFromIpAddressString(ip);
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    public boolean contains(InetAddress address) {
        if (address == null) {
            return false;
        }
        InetSocketAddress a = new InetSocketAddress(address, 0);
        for (IpSubnetFilterRule r : rules) {
            if (r.matches(a)) {
                return true;
            }
        }
        return false;
    }

    public boolean contains(SocketAddress address) {
        return address instanceof InetSocketAddress a && contains(a.getAddress());
    }

    /** False for anything that is not an IP literal. */
    public boolean contains(String ip) {
        return contains(literal(ip));
    }
}
