package io.guerrilla.smtpd.config;

import io.guerrilla.smtpd.codec.BareNewlinePolicy;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How YAML binds: fixed-value keys as enums in any case, every bad value named in one pass, nested defaults kept. */
class ConfigBindingTest {
    @Test
    void namesBindInAnyCaseAndWithTheirAliases() throws Exception {
        GuerrillaConfig c = ConfigLoader.parse("""
                bare_newline: REJECT
                store:
                  type: MariaDB
                  synchronous: normal
                  compress: GZip
                """, "t.yaml");
        assertThat(c.bareNewline).isEqualTo(BareNewlinePolicy.REJECT);
        assertThat(c.store.type).isEqualTo(StoreType.MYSQL);
        assertThat(c.store.synchronous).isEqualTo(SqliteSync.NORMAL);
        assertThat(c.store.compress).isEqualTo(Compression.GZIP);
        assertThat(ConfigLoader.parse("store: {type: postgresql}", "t.yaml").store.type).isEqualTo(StoreType.POSTGRES);
    }

    @Test
    void everyUnknownValueIsReportedOnceInOnePass() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                bare_newline: maybe
                max_size: -1
                store:
                  type: oracle
                  synchronous: sometimes
                  compress: lz4
                """, "t.yaml"))
                .hasMessageContaining("t.yaml: bare_newline: unknown value \"maybe\" (known: normalize, reject)")
                .hasMessageContaining("t.yaml: max_size: must be greater than 0")
                .hasMessageContaining("t.yaml: store.type: unknown value \"oracle\" (known: sqlite, mysql, mariadb, postgres, postgresql)")
                .hasMessageContaining("t.yaml: store.synchronous: unknown value \"sometimes\" (known: full, extra, normal)")
                .hasMessageContaining("t.yaml: store.compress: unknown value \"lz4\" (known: zlib, gzip)")
                .message().doesNotContain("missing");
    }

    @Test
    void anEmptyValueIsMissingNotADefault() {
        assertThatThrownBy(() -> ConfigLoader.parse("store:\n  type:\n  compress: ~\n", "t.yaml"))
                .hasMessageContaining("store.type: missing")
                .hasMessageContaining("store.compress: missing");
    }

    @Test
    void aPartialKeyValueSectionKeepsTheOtherDefaults() throws Exception {
        StoreConfig s = ConfigLoader.parse("store: {redis: {port: 6380}, memcached: {ttl: 60}}", "t.yaml").store;
        assertThat(s.redis.host).isEqualTo("127.0.0.1");
        assertThat(s.redis.port).isEqualTo(6380);
        assertThat(s.memcached.port).isEqualTo(11211);
        assertThat(s.memcached.ttl).isEqualTo(60);
    }
}
