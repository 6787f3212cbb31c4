package io.guerrilla.smtpd.app;

import io.guerrilla.smtpd.config.ConfigException;
import io.guerrilla.smtpd.config.ConfigLoader;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.config.LocalHost;
import io.guerrilla.smtpd.metrics.PrometheusMetrics;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** node_name: where an operator with several nodes sees which one did something (log lines: {@link BatchingAppenderTest}). */
class NodeNameTest {

    @Test
    void theHostNameUnlessSetAndOnlyCharactersThatNeedNoQuoting() throws Exception {
        assertThat(new GuerrillaConfig().nodeName).isEqualTo(LocalHost.name());
        assertThat(ConfigLoader.parse("node_name: edge-2.fra_1\n", "t.yaml").nodeName).isEqualTo("edge-2.fra_1");
        for (String bad : new String[] {"\"\"", "\"a b\"", "\"x) by evil.test\"", "\"node=1\"", "\"n\\u001b[2J\""}) {
            assertThatThrownBy(() -> ConfigLoader.parse("node_name: " + bad + "\n", "t.yaml"))
                    .as(bad).isInstanceOf(ConfigException.class).hasMessageContaining("node_name:");
        }
    }

    @Test
    void everyMetricSeriesIsTaggedWithTheNode() {
        PrometheusMetrics metrics = new PrometheusMetrics("edge-2");
        metrics.connectionOpened();
        metrics.messageReplied(250);

        String text = metrics.scrape();
        assertThat(text).contains("guerrilla_connections_open{node=\"edge-2\"} 1.0",
                "guerrilla_messages_total{code=\"250\",node=\"edge-2\",outcome=\"accepted\"} 1.0");
        assertThat(text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()))
                .allMatch(l -> l.contains("node=\"edge-2\""));
    }

    @Test
    void theReceivedHeaderNamesTheNodeInACommentAfterTheHostName() throws Exception {
        try (TestServer server = TestServer.start(c -> c.nodeName = "edge-2")) {
            SmtpClient.deliver(server.port(), "a@b.test", "x@example.com", "which node");
            assertThat(TestServer.mail(server.onlyRowWithSubject("which node")))
                    .contains("\tby mx.test.local (guerrillad edge-2) with ESMTP id ");
        }
    }
}
