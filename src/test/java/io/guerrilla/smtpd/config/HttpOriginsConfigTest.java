package io.guerrilla.smtpd.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** http.allowed_origins takes browser origins only; http.public_smtp a HOST:PORT. */
class HttpOriginsConfigTest {
    @Test
    void defaultsAreSameOriginAndTheListenersAddress() throws Exception {
        GuerrillaConfig c = ConfigLoader.parse("listen_interface: 127.0.0.1:2525\n", "test");
        assertThat(c.http.allowedOrigins).isEmpty();
        assertThat(c.http.publicSmtp).isEmpty();
    }

    @Test
    void originsAndPublicSmtpAreRead() throws Exception {
        GuerrillaConfig c = ConfigLoader.parse("""
                http:
                  allowed_origins: ["https://app.example", "http://127.0.0.1:3000", "http://[::1]:8080"]
                  public_smtp: mx.example.com:25
                """, "test");
        assertThat(c.http.allowedOrigins).containsExactly("https://app.example", "http://127.0.0.1:3000", "http://[::1]:8080");
        assertThat(c.http.publicSmtp).isEqualTo("mx.example.com:25");
    }

    @Test
    void aPathAWildcardOrAnotherSchemeIsNotAnOrigin() {
        for (String bad : new String[] {"https://app.example/", "*", "https://*.example", "ftp://app.example", "app.example"}) {
            assertThatThrownBy(() -> ConfigLoader.parse("http:\n  allowed_origins: [\"" + bad + "\"]\n", "test"))
                    .as(bad).hasMessageContaining("http.allowed_origins: \"" + bad + "\" is not an origin");
        }
        assertThatThrownBy(() -> ConfigLoader.parse("http:\n  public_smtp: mx.example.com\n", "test"))
                .hasMessageContaining("http.public_smtp");
    }
}
