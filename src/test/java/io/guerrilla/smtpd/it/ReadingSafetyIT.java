package io.guerrilla.smtpd.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.MailApi;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.Requirements;
import io.guerrilla.smtpd.support.ServerProcess;
import io.guerrilla.smtpd.support.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a hostile sender or reader can do to the reading side: messages built to attack a browser or
 * the parser come back inert and never as a 500; every bad parameter gets a 4xx JSON error naming it;
 * limits hold; the bearer token closes the API; TLS certificates reload on SIGHUP.
 */
class ReadingSafetyIT {
    /** Markers that would make HTML active if any survived sanitizing. */
    static final List<String> ACTIVE = List.of("<script", "onerror", "onload", "onclick", "javascript:", "expression(",
            "<form", "<meta", "<svg", "<iframe", "<object", "<embed", "<style", "<base", "url(", "http://evil");

    static String crlf(String s) {
        return s.replace("\r\n", "\n").replace("\n", "\r\n");
    }

    static Map<String, byte[]> hostileCorpus() {
        String xss = """
                <html><head><meta http-equiv="refresh" content="0;url=http://evil/"><style>body{background:url(http://evil/)}</style>
                <script>alert(1)</script><base href="http://evil/"></head>
                <body onload="alert(1)"><img src=x onerror="alert(1)"><img src="http://evil/pixel.png">
                <a href="javascript:alert(1)">click</a><a href="JAVASCRIPT:alert(1)">up</a>
                <div style="width:expression(alert(1))">css</div>
                <form action="http://evil/"><input name="password"></form>
                <svg onload="alert(1)"><script>alert(1)</script></svg>
                <iframe src="http://evil/"></iframe><object data="http://evil/x"></object>
                <p>visible text</p></body></html>
                """;
        byte[] big = new byte[20 * 1024 * 1024];
        new Random(7).nextBytes(big);
        StringBuilder many = new StringBuilder("Subject: many parts\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n");
        for (int i = 0; i < 1000; i++) {
            many.append("--p\r\nContent-Type: application/octet-stream; name=\"part").append(i).append(".bin\"\r\n\r\n")
                    .append("part ").append(i).append("\r\n");
        }
        many.append("--p--\r\n");
        return Map.of(
                "xss-alternative", crlf("""
                        Subject: <script>alert(1)</script>
                        Content-Type: multipart/alternative; boundary=alt

                        --alt
                        Content-Type: text/plain

                        plain
                        --alt
                        Content-Type: text/html; charset=utf-8

                        """ + xss + "--alt--\n").getBytes(StandardCharsets.UTF_8),
                "html-only-qp", crlf("""
                        Subject: html only
                        Content-Type: text/html
                        Content-Transfer-Encoding: quoted-printable

                        <scr=
                        ipt>alert(1)</script><a href=3D"javascript:alert(1)">x</a><img src=3D"http://evil/t.png">
                        """).getBytes(StandardCharsets.UTF_8),
                "html-attachment", crlf("""
                        Subject: an html file
                        Content-Type: multipart/mixed; boundary=b

                        --b
                        Content-Type: text/plain

                        see attached
                        --b
                        Content-Type: text/html; name="../../evil.html"
                        Content-Disposition: attachment; filename="../../evil.html"

                        <script>alert(document.cookie)</script>
                        --b
                        Content-Type: image/svg+xml; name="x.svg"

                        <svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>
                        --b--
                        """).getBytes(StandardCharsets.UTF_8),
                "broken-mime", crlf("""
                        Subject: broken
                        Content-Type: multipart/mixed
                        Content-Transfer-Encoding: base64

                        --nothing
                        Content-Type: text/plain; charset=x-unknown-charset
                        Content-Transfer-Encoding: base64

                        !!!not base64!!!
                        --nothing
                        Content-Type: multipart/alternative; boundary="unterminated
                        """).getBytes(StandardCharsets.UTF_8),
                "eight-bit-headers", crlf("""
                        From: Jürgen Groß <jürgen@bücher.test>
                        Subject: Grüße — 你好 \u202Eevil
                        Content-Type: text/plain

                        8-bit body ü
                        """).getBytes(StandardCharsets.UTF_8),
                "large-attachment", (crlf("""
                        Subject: twenty megabytes
                        Content-Type: multipart/mixed; boundary=big

                        --big
                        Content-Type: application/zip; name="big.zip"
                        Content-Transfer-Encoding: base64

                        """) + Base64.getMimeEncoder().encodeToString(big) + "\r\n--big--\r\n").getBytes(StandardCharsets.US_ASCII),
                "many-parts", many.toString().getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void hostileMessagesComeBackInertBadParametersGetNamedRedisBodiesExpireTo410(@TempDir Path dir) throws Exception {
        Databases.require("redis", 6379);
        StoreConfig store = Databases.config("sqlite");
        store.path = dir.resolve("data/mail.db").toString();
        // Compressed, then kept in Redis: the row says only "redis", the reader recognises the zlib body.
        store.saveProcess = "HeadersParser|Header|Hasher|Compressor|Redis|SQL";
        int smtp = Ports.free();
        int httpPort = Ports.free();
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, ReadingIT.yaml(smtp, httpPort, store, "  max_subscribers_per_client: 2")
                + "max_size: 41943040\n");
        String box = ReadingIT.fresh("hostile");
        try (ServerProcess server = ServerProcess.startWithHttp(dir, smtp, "serve", "-c", cfg.toString())) {
            server.awaitLog("reading mail over HTTP");
            MailApi api = new MailApi("http://127.0.0.1:" + httpPort);
            String b = MailApi.mailbox(box);
            Map<String, byte[]> corpus = hostileCorpus();
            for (Map.Entry<String, byte[]> e : corpus.entrySet()) {
                assertThat(MailApi.deliver(smtp, "s@sender.test", box, e.getValue())).as(e.getKey()).startsWith("250");
            }
            JsonNode list = api.json(b + "/messages?limit=50");
            assertThat(list.get("messages")).hasSize(corpus.size());
            for (JsonNode summary : list.get("messages")) {
                long id = summary.get("id").asLong();
                MailApi.Response r = api.get(b + "/messages/" + id);
                assertThat(r.status()).as(summary.toString()).isEqualTo(200);
                assertThat(r.header("Content-Type")).startsWith("application/json");
                assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
                JsonNode m = r.json();
                String html = m.get("html").isNull() ? "" : m.get("html").asText().toLowerCase();
                for (String marker : ACTIVE) {
                    assertThat(html).as("%s in %s", marker, summary.get("subject")).doesNotContain(marker);
                }
                for (JsonNode att : m.get("attachments")) {
                    if (att.get("index").asInt() > 3 && att.get("index").asInt() < 998) {
                        continue;
                    }
                    MailApi.Response a = api.get(b + "/messages/" + id + "/attachments/" + att.get("index").asInt());
                    assertThat(a.status()).isEqualTo(200);
                    assertThat(a.header("Content-Disposition")).startsWith("attachment;").doesNotContain("/", "\\");
                    assertThat(a.header("X-Content-Type-Options")).isEqualTo("nosniff");
                    assertThat(a.header("Content-Type")).doesNotContain("html", "svg", "xml", "javascript");
                    assertThat((long) a.body().length).isEqualTo(att.get("size").asLong());
                }
                MailApi.Response raw = api.get(b + "/messages/" + id + "/raw");
                assertThat(raw.status()).isEqualTo(200);
                assertThat(raw.header("Content-Type")).isEqualTo("message/rfc822");
                assertThat(raw.header("Content-Disposition")).startsWith("attachment;");
            }
            JsonNode manyParts = find(api, b, list, "many parts");
            assertThat(manyParts.get("attachments")).hasSize(1000);
            JsonNode large = find(api, b, list, "twenty megabytes");
            assertThat(large.get("attachments").get(0).get("size").asLong()).isEqualTo(20 * 1024 * 1024);
            JsonNode eightBit = find(api, b, list, "Grüße");
            assertThat(eightBit.get("text").asText()).startsWith("8-bit body ü");
            JsonNode htmlFile = find(api, b, list, "an html file");
            assertThat(htmlFile.get("attachments").get(0).get("filename").asText()).isEqualTo("evil.html");
            assertThat(find(api, b, list, "html only").get("html").asText()).doesNotContain("alert");

            badParametersAreNamed(api, b, list.get("messages").get(0).get("id").asLong());
            subscribersPerClientAreCapped(httpPort, b);

            // A body gone from Redis (its TTL passed) is a clear 410, not a 500 or an empty message.
            long id = list.get("messages").get(0).get("id").asLong();
            String hash;
            try (Connection c = Databases.connect(store);
                 PreparedStatement ps = c.prepareStatement("SELECT hash, body FROM new_mail WHERE mail_id = ?")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(2)).isEqualTo("redis");
                    hash = rs.getString(1);
                }
            }
            Commands.run(List.of(Requirements.tool("redis-cli"), "-h", "127.0.0.1", "DEL", hash));
            MailApi.Response gone = api.get(b + "/messages/" + id);
            assertThat(gone.status()).isEqualTo(410);
            assertThat(gone.json().get("error").asText()).contains("expired");
            assertThat(api.get(b + "/messages/" + id + "/raw").status()).isEqualTo(410);
            assertThat(server.logText()).doesNotContain("Exception");
        }
    }

    private static JsonNode find(MailApi api, String b, JsonNode list, String subjectPart) throws Exception {
        for (JsonNode s : list.get("messages")) {
            if (s.get("subject").asText().contains(subjectPart)) {
                return api.json(b + "/messages/" + s.get("id").asLong());
            }
        }
        throw new AssertionError("no message with subject containing " + subjectPart);
    }

    private static void badParametersAreNamed(MailApi api, String b, long id) throws Exception {
        Map<String, String> pathToParameter = new java.util.LinkedHashMap<>();
        pathToParameter.put(b + "/messages?limit=0", "limit");
        pathToParameter.put(b + "/messages?limit=100000", "limit");
        pathToParameter.put(b + "/messages?limit=ten", "limit");
        pathToParameter.put(b + "/messages?before=-1", "before");
        pathToParameter.put(b + "/messages?before=99999999999999999999", "before");
        pathToParameter.put(b + "/messages?since=yesterday", "since");
        pathToParameter.put(b + "/messages?since=2026-01-02&until=2026-01-01", "until");
        pathToParameter.put(b + "/messages?after=x", "after");
        pathToParameter.put(b + "/messages?after=1&wait=100000", "wait");
        pathToParameter.put(b + "/messages?wait=5", "wait");
        pathToParameter.put(b + "/messages?after=1&before=5", "before");
        pathToParameter.put(b + "/messages?from=", "from");
        pathToParameter.put(b + "/messages?subject=" + "x".repeat(300), "subject");
        pathToParameter.put(b + "/messages?limit=1&limit=2", "limit");
        pathToParameter.put(b + "/messages?sort=asc", "sort");
        pathToParameter.put("/api/v1/mailboxes/no-at-sign/messages", "address");
        pathToParameter.put("/api/v1/mailboxes/a%40/messages", "address");
        pathToParameter.put("/api/v1/mailboxes/%3Cscript%3E%40x.test/messages", "address");
        pathToParameter.put("/api/v1/mailboxes/a%20b%40x.test/messages", "address");
        pathToParameter.put("/api/v1/mailboxes/" + "a".repeat(300) + "%40x.test/messages", "address");
        pathToParameter.put(b + "/messages/0", "id");
        pathToParameter.put(b + "/messages/-5", "id");
        pathToParameter.put(b + "/messages/abc", "id");
        pathToParameter.put(b + "/messages/99999999999999999999999", "id");
        pathToParameter.put(b + "/messages/" + id + "/attachments/-1", "index");
        pathToParameter.put(b + "/messages/" + id + "/attachments/x", "index");
        pathToParameter.put(b + "/messages/" + id + "?x=1", "x");
        pathToParameter.put(b + "/events?last_event_id=x", "last_event_id");
        for (Map.Entry<String, String> e : pathToParameter.entrySet()) {
            MailApi.Response r = api.get(e.getKey());
            assertThat(r.status()).as(e.getKey() + " -> " + r.text()).isBetween(400, 499);
            assertThat(r.header("Content-Type")).as(e.getKey()).startsWith("application/json");
            assertThat(r.json().get("parameter").asText()).as(e.getKey()).isEqualTo(e.getValue());
        }
        for (String path : List.of("/api/v1/nothing", b + "/messages/" + id + "/attachments/5000",
                b + "/messages/" + id + "/elsewhere", "/etc/passwd", "/api/v1/../../etc/passwd", "/api/v1/%2e%2e/%2e%2e/etc/passwd")) {
            MailApi.Response r = api.get(path);
            assertThat(r.status()).as(path).isBetween(400, 499);
            assertThat(r.header("Content-Type")).as(path).startsWith("application/json");
            assertThat(r.text()).as(path).doesNotContain("root:", "Exception", "at io.", "passwd");
        }
    }

    private static void subscribersPerClientAreCapped(int httpPort, String b) throws Exception {
        String url = "http://127.0.0.1:" + httpPort + b + "/events";
        try (ReadingIT.EventClient one = new ReadingIT.EventClient(url, null);
             ReadingIT.EventClient two = new ReadingIT.EventClient(url, null)) {
            one.awaitLine(": open");
            two.awaitLine(": open");
            MailApi.Response third = new MailApi("http://127.0.0.1:" + httpPort).get(b + "/messages?after=999999999&wait=5");
            assertThat(third.status()).isEqualTo(429);
            assertThat(third.json().get("error").asText()).contains("at most 2");
        }
    }

    @Test
    void bearerTokenClosesTheApiAndHttpsCertificatesReloadOnSighup(@TempDir Path dir) throws Exception {
        StoreConfig store = Databases.config("sqlite");
        store.path = dir.resolve("data/mail.db").toString();
        int smtp = Ports.free();
        int httpPort = Ports.free();
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Files.copy(Path.of(TestCertificates.certFile()), cert);
        Files.copy(Path.of(TestCertificates.keyFile()), key);
        String token = "s3cret-token-for-tests-0123456789";
        Path cfg = dir.resolve("g.yaml");
        Files.writeString(cfg, ReadingIT.yaml(smtp, httpPort, store, "  cert_file: " + cert + "\n  key_file: " + key
                + "\n  api_token: " + token));
        try (ServerProcess server = ServerProcess.startWithHttp(dir, smtp, "serve", "-c", cfg.toString())) {
            server.awaitLog("reading mail over HTTP at https://127.0.0.1:" + httpPort + "/");
            SSLContext tls = TestCertificates.clientContext();
            String base = "https://127.0.0.1:" + httpPort;
            String b = MailApi.mailbox(ReadingIT.fresh("private"));
            MailApi.Response anonymous = new MailApi(base, null, tls).get(b + "/messages");
            assertThat(anonymous.status()).isEqualTo(401);
            assertThat(anonymous.header("WWW-Authenticate")).startsWith("Bearer");
            assertThat(anonymous.json().get("parameter").asText()).isEqualTo("Authorization");
            assertThat(new MailApi(base, "wrong-token-wrong-token", tls).get(b + "/messages").status()).isEqualTo(401);
            assertThat(new MailApi(base, null, tls).get("/api/v1/openapi.json").status()).isEqualTo(401);
            assertThat(new MailApi(base, token, tls).json(b + "/messages").get("messages")).isEmpty();
            assertThat(new MailApi(base, token, tls).json("/api/v1/openapi.json").get("openapi").asText()).startsWith("3.");

            // A renewed certificate (new key, new serial) is served to new connections after SIGHUP.
            String before = serial(httpPort);
            String openssl = Requirements.tool("openssl");
            Commands.run(List.of(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=renewed.test",
                    "-addext", "subjectAltName=IP:127.0.0.1"));
            server.signal("HUP");
            server.awaitLog("http certificate reloaded");
            String after = serial(httpPort);
            assertThat(after).isNotEqualTo(before);
        }
    }

    /** The serial number of the certificate the listener presents. */
    private static String serial(int port) throws Exception {
        SSLContext any = TestCertificates.trustAnything();
        try (SSLSocket s = (SSLSocket) any.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber().toString(16);
        }
    }
}
