package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.codec.BareNewlinePolicy;
import io.guerrilla.smtpd.config.HostPort;
import io.guerrilla.smtpd.config.ListenerConfig;
import io.guerrilla.smtpd.smtp.AllowedHosts;
import io.guerrilla.smtpd.smtp.SessionPolicy;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What one listener needs from the config, resolved and checked.
 *
 * @param tls      null when the listener has no TLS
 * @param nodeName this process's node_name, for the Received header
 */
public record ListenerSettings(HostPort address, SessionPolicy policy, int maxClients, Duration idleTimeout,
                               int maxCommandLine, int maxDataLine,
                               BareNewlinePolicy bareNewline, int maxConnectionsPerIp, int connectionRatePerIp,
                               int minDataRate, Duration minDataRateWindow,
                               TlsSettings tls, ClientTrust trust,
                               long spillThreshold, Path spillDirectory, String nodeName) {

    public static ListenerSettings from(ListenerConfig c, String nodeName) {
        SessionPolicy policy = new SessionPolicy(c.hostName, new AllowedHosts(c.allowedHosts), c.maxSize,
                c.maxRecipients, c.maxBadCommands, c.maxMessagesPerConnection, c.enabledExtensions());
        return new ListenerSettings(HostPort.parse(c.listenInterface), policy, c.maxClients,
                Duration.ofSeconds(c.timeout), c.maxCommandLineLength,
                c.maxDataLineLength, c.bareNewline,
                c.maxConnectionsPerIp, c.connectionRatePerIp, c.minDataRate, Duration.ofSeconds(c.minDataRateWindow),
                TlsSettings.from(c.tls), ClientTrust.from(c),
                c.spillThreshold, Path.of(c.spillDirectory.isEmpty() ? System.getProperty("java.io.tmpdir") : c.spillDirectory),
                nodeName);
    }
}
