package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.config.ListenerConfig;
import io.guerrilla.smtpd.config.TrustedNetworks;

import java.time.Duration;

/**
 * Who may speak for other clients on a listener.
 *
 * @param proxyProtocol  a PROXY v1/v2 header is required before anything else
 * @param proxies        peers whose PROXY header is believed; anyone else is refused
 * @param proxyTimeout   how long to wait for that header
 * @param xclient        clients (after PROXY, the real ones) allowed to use XCLIENT
 */
public record ClientTrust(boolean proxyProtocol, TrustedNetworks proxies, Duration proxyTimeout,
                          TrustedNetworks xclient) {

    static ClientTrust from(ListenerConfig c) {
        return new ClientTrust(c.proxyProtocol, TrustedNetworks.parse(c.trustedProxies),
                Duration.ofSeconds(c.proxyProtocolTimeout), TrustedNetworks.parse(c.xclientTrusted));
    }
}
