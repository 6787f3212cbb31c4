package io.guerrilla.smtpd.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guerrilla.smtpd.support.LogCapture;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What the two log_format encoders write for one event: what an operator's grep, awk and jq read. */
class LogFormatTest {

    /** Logs through a fresh context into a string, with the encoder serve uses for {@code format}. */
    private static String logged(String format, java.util.function.Consumer<Logger> log) {
        LoggerContext ctx = new LoggerContext();
        ctx.setMDCAdapter(new LogbackMDCAdapter());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(ctx);
        appender.setEncoder(Logs.encoder(ctx, format));
        appender.setOutputStream(out);
        appender.start();
        Logger logger = ctx.getLogger("io.guerrilla.smtpd.server.SmtpSessionHandler");
        logger.setLevel(Level.INFO);
        logger.addAppender(appender);
        log.accept(logger);
        appender.stop();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void jsonHasTheFormattedMessageTypedTopLevelFieldsAndAnIsoTime() throws Exception {
        String line = logged("json", l -> l.atInfo().setMessage("listening on {}:{}").addArgument("127.0.0.1")
                .addArgument(25).addKeyValue("conn", "a1b2").addKeyValue("size", 1234L).addKeyValue("rcpts", 2)
                .addKeyValue("tls", true).addKeyValue("message", "a pair named like a fixed field").log());
        assertThat(line).endsWith("\n").doesNotContain("arguments", "kvpList");
        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.get("message").asText()).isEqualTo("listening on 127.0.0.1:25");
        assertThat(json.get("level").asText()).isEqualTo("INFO");
        assertThat(json.get("conn").asText()).isEqualTo("a1b2");
        assertThat(json.get("size").isNumber()).isTrue();
        assertThat(json.get("size").asLong()).isEqualTo(1234);
        assertThat(json.get("rcpts").isNumber()).isTrue();
        assertThat(json.get("tls").isBoolean()).isTrue();
        assertThat(json.get("message_").asText()).isEqualTo("a pair named like a fixed field");
        assertThat(OffsetDateTime.parse(json.get("time").asText())).isNotNull();
    }

    @Test
    void jsonCarriesTheStackTraceAsOneField() throws Exception {
        String line = logged("json", l -> l.atWarn().setMessage("boom").setCause(new IllegalStateException("bad"))
                .addKeyValue("conn", "c").log());
        assertThat(line.strip()).doesNotContain("\n");
        assertThat(new ObjectMapper().readTree(line).get("exception").asText())
                .startsWith("java.lang.IllegalStateException: bad").contains("\tat ");
    }

    @Test
    void textValuesThatCouldForgeFieldsOrLinesAreQuotedAndEscaped() {
        String line = logged("text", l -> l.atInfo().setMessage("message stored").addKeyValue("conn", "c1")
                .addKeyValue("from", "\"x code=999 client=6.6.6.6\"@example.net").addKeyValue("helo", "a\r\nINFO forged")
                .addKeyValue("rcpt", "esc\u001b[2Jhere").addKeyValue("bidi", "\u202Efdp.exe").addKeyValue("c1", "x\u0085y")
                .addKeyValue("del", "x\u007fy").addKeyValue("empty", "").addKeyValue("plain", "a@b.test")
                .addKeyValue("code", 250).log());
        assertThat(line).endsWith("\n");
        assertThat(line.lines()).hasSize(1);
        assertThat(line).contains(" - message stored conn=c1 from=\"\\\"x code=999 client=6.6.6.6\\\"@example.net\" "
                + "helo=\"a\\r\\nINFO forged\" rcpt=\"esc\\u001B[2Jhere\" bidi=\"\\u202Efdp.exe\" c1=\"x\\u0085y\" "
                + "del=\"x\\u007Fy\" empty=\"\" plain=a@b.test code=250\n");
        assertThat(line).doesNotContain("\u001b", "\u202E", "\u0085", "\u007f");
        // A logfmt reader finds each field once, with the client's text whole inside its own value.
        Map<String, String> fields = LogCapture.fields(line.strip());
        assertThat(fields).containsEntry("code", "250").containsEntry("conn", "c1").containsEntry("helo", "a\r\nINFO forged")
                .containsEntry("from", "\"x code=999 client=6.6.6.6\"@example.net").doesNotContainKey("client");
    }

    @Test
    void controlCharactersInAMessageArgumentCannotStartANewLine() {
        String line = logged("text", l -> l.info("config: {}", "bad\nERROR forged line\u001b]0;title\u0007"));
        assertThat(line.lines()).hasSize(1);
        assertThat(line).contains("config: bad\\nERROR forged line\\u001B]0;title\\u0007");
    }
}
