package io.guerrilla.smtpd.pipeline;

import io.guerrilla.smtpd.config.StoreConfig.KeyValueConfig;

/**
 * What Redis or Memcached needs from its config section, fixed when the pipeline is built.
 *
 * @param password     Redis only; empty for none
 * @param database     Redis only
 * @param ttl          seconds a body is kept; 0 until evicted
 * @param waitReplicas Redis only: replicas WAIT must see acknowledge each body; 0 for no WAIT
 */
public record KeyValueSettings(String host, int port, String password, int database, int ttl, int timeoutMs,
                               int waitReplicas, int waitTimeoutMs) {

    public static KeyValueSettings from(KeyValueConfig c) {
        return new KeyValueSettings(c.host, c.port, c.password, c.database, c.ttl, c.timeoutMs, c.waitReplicas,
                c.waitTimeoutMs);
    }
}
