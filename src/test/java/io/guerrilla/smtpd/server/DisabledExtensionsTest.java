package io.guerrilla.smtpd.server;

import io.guerrilla.smtpd.config.ConfigLoader;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each optional extension is advertised only when enabled, and its keyword is refused when it is not. */
class DisabledExtensionsTest {
    @Test
    void disabledExtensionsAreNeitherAdvertisedNorAccepted() throws Exception {
        try (TestServer server = TestServer.start(c -> c.disabledExtensions =
                List.of("size", "PIPELINING", "8BITMIME", "SMTPUTF8", "CHUNKING", "BINARYMIME"));
             SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            String ehlo = c.command("EHLO off.test");
            assertThat(ehlo).contains("250 ENHANCEDSTATUSCODES")
                    .doesNotContain("SIZE", "PIPELINING", "8BITMIME", "SMTPUTF8", "CHUNKING", "BINARYMIME");
            assertThat(c.command("MAIL FROM:<a@off.test> SIZE=10")).startsWith("555 5.5.4");
            assertThat(c.command("MAIL FROM:<a@off.test> BODY=8BITMIME")).startsWith("555 5.5.4");
            assertThat(c.command("MAIL FROM:<a@off.test> SMTPUTF8")).startsWith("555 5.5.4");
            assertThat(c.command("MAIL FROM:<a@off.test> BODY=BINARYMIME")).startsWith("555 5.5.4");
            assertThat(c.command("BDAT 10 LAST")).startsWith("502 5.5.1");
            assertThat(c.command("MAIL FROM:<a@off.test> BODY=7BIT")).isEqualTo("250 2.1.0 Ok");
            c.command("RCPT TO:<x@example.com>");
            c.command("DATA");
            assertThat(c.command("Subject: plain\r\n\r\nhi\r\n.")).startsWith("250 2.0.0 Ok: queued as ");
        }
    }

    @Test
    void allAreOfferedByDefault() throws Exception {
        try (TestServer server = TestServer.start(); SmtpClient c = new SmtpClient(server.port())) {
            c.reply();
            assertThat(c.command("EHLO on.test")).contains("250-SIZE ", "250-PIPELINING", "250-8BITMIME",
                    "250-SMTPUTF8", "250-CHUNKING", "250-BINARYMIME", "250 ENHANCEDSTATUSCODES");
        }
    }

    @Test
    void unknownOrInconsistentChoicesAreNamed() {
        assertThatThrownBy(() -> ConfigLoader.parse("disabled_extensions: [TURBO]\n", "t"))
                .hasMessageContaining("disabled_extensions: unknown extension \"TURBO\"");
        assertThatThrownBy(() -> ConfigLoader.parse("disabled_extensions: [CHUNKING]\n", "t"))
                .hasMessageContaining("BINARYMIME needs CHUNKING");
    }
}
