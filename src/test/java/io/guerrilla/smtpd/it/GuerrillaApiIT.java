package io.guerrilla.smtpd.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.ServerProcess;
import io.guerrilla.smtpd.support.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Guerrilla Mail JSON API of the packaged server over real HTTP, with mail delivered over real SMTP:
 * every function, GET and POST, the session in sid_token and in the PHPSESSID cookie, a session made by
 * one process served by another on the same database, and one address never reaching another's mail.
 */
class GuerrillaApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** What one call answered: status, body, and the PHPSESSID cookie it set. */
    record Reply(int status, JsonNode body, String cookie) {
    }

    @Test
    void everyFunctionAcrossTwoProcessesOnOneDatabase(@TempDir Path dir) throws Exception {
        int smtp = Ports.free();
        int httpA = Ports.free();
        int httpB = Ports.free();
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        Path db = dir.resolve("mail.db");
        Files.writeString(a.resolve("g.yaml"), config(smtp, httpA, db));
        Files.writeString(b.resolve("g.yaml"), config(Ports.free(), httpB, db));
        try (ServerProcess receiver = ServerProcess.startWithHttp(a, smtp, "serve", "-c", "g.yaml")) {
            receiver.awaitLog("serving, pid");
            try (ServerProcess reader = ServerProcess.startWithHttp(b, httpB, "serve", "--no-smtp", "-c", "g.yaml")) {
                String nodeA = "http://127.0.0.1:" + httpA + "/ajax.php";
                String nodeB = "http://127.0.0.1:" + httpB + "/ajax.php";
                long started = Instant.now().getEpochSecond();

                // get_email_address, no session: a random address on the configured domain, token in body and cookie.
                Reply first = get(nodeA, "f=get_email_address&ip=127.0.0.1&agent=it&lang=en", null);
                assertThat(first.status()).isEqualTo(200);
                assertThat(first.body().get("email_addr").asText()).matches("[a-z0-9]{10}@example\\.com");
                assertThat(first.body().get("email_timestamp").asLong()).isBetween(started - 5, started + 60);
                assertThat(first.body().get("sid_token").asText()).isEqualTo(first.cookie()).isNotEmpty();
                assertThat(first.body().get("alias").asText()).isNotEmpty();

                // The same session on the other process (a token signed with the key both read from the database).
                Reply again = get(nodeB, "f=get_email_address", first.cookie());
                assertThat(again.body().get("email_addr").asText()).isEqualTo(first.body().get("email_addr").asText());

                // set_email_user by POST with the PHPSESSID cookie.
                Reply alice = post(nodeA, "f=set_email_user&email_user=Alice.Test&lang=en", again.cookie());
                assertThat(alice.body().get("email_addr").asText()).isEqualTo("alice.test@example.com");
                assertThat(alice.body().get("alias_error").asText()).isEmpty();
                String sid = alice.body().get("sid_token").asText();

                assertThat(deliver(smtp, "alice.test@example.com", "first <b>one</b>", "text/plain", "plain body one")).startsWith("250");
                assertThat(deliver(smtp, "alice.test@example.com", "second", "text/html",
                        "<p onclick=\"x()\">Hello <script>alert(1)</script>html</p>")).startsWith("250");
                assertThat(deliver(smtp, "alice.test@example.com", "third", "text/plain", "plain body three")).startsWith("250");
                assertThat(deliver(smtp, "bob@example.com", "for bob", "text/plain", "bob's")).startsWith("250");

                // check_email on the reading process, session in sid_token.
                Reply check = get(nodeB, "f=check_email&seq=0&sid_token=" + enc(sid), null);
                JsonNode list = check.body().get("list");
                assertThat(list).hasSize(3);
                assertThat(check.body().get("count").asText()).isEqualTo("3");
                assertThat(check.body().get("email").asText()).isEqualTo("alice.test@example.com");
                assertThat(list.get(0).get("mail_subject").asText()).isEqualTo("third");
                assertThat(list.get(2).get("mail_subject").asText()).isEqualTo("first &lt;b&gt;one&lt;/b&gt;");
                assertThat(list.get(2).get("mail_excerpt").asText()).isEqualTo("plain body one");
                assertThat(list.get(0).get("mail_read").asText()).isEqualTo("0");
                assertThat(list.get(0).get("mail_from").asText()).isEqualTo("sender@it.test");
                assertThat(list.get(0).get("att").asText()).isEqualTo("0");
                assertThat(Long.parseLong(list.get(0).get("mail_size").asText())).isPositive();
                assertThat(list.get(0).get("mail_date").asText()).matches("\\d\\d:\\d\\d:\\d\\d");
                long third = Long.parseLong(list.get(0).get("mail_id").asText());
                long second = Long.parseLong(list.get(1).get("mail_id").asText());
                long firstId = Long.parseLong(list.get(2).get("mail_id").asText());
                sid = check.body().get("sid_token").asText();

                // check_email with seq: only newer than it.
                Reply newer = get(nodeA, "f=check_email&seq=" + second + "&sid_token=" + enc(sid), null);
                assertThat(ids(newer)).containsExactly(third);
                assertThat(newer.body().get("count").asText()).isEqualTo("1");

                // get_email_list with offset, get_older_list with seq and limit.
                assertThat(ids(get(nodeA, "f=get_email_list&offset=1&sid_token=" + enc(sid), null))).containsExactly(second, firstId);
                Reply older = get(nodeA, "f=get_older_list&seq=" + third + "&limit=1&sid_token=" + enc(sid), null);
                assertThat(ids(older)).containsExactly(second);
                assertThat(older.body().get("count").asText()).isEqualTo("2");

                // fetch_email: the HTML comes back sanitized, and the message is read from then on.
                Reply fetched = post(nodeB, "f=fetch_email&email_id=" + second + "&sid_token=" + enc(sid), null);
                JsonNode m = fetched.body();
                assertThat(m.get("mail_id").asText()).isEqualTo(Long.toString(second));
                assertThat(m.get("content_type").asText()).isEqualTo("text/html");
                assertThat(m.get("mail_body").asText()).contains("Hello").doesNotContain("<script", "onclick", "alert");
                assertThat(m.get("mail_recipient").asText()).isEqualTo("alice.test");
                assertThat(m.get("mail_read").asText()).isEqualTo("1");
                assertThat(m.get("mail_date").asText()).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d");
                assertThat(m.get("att").asText()).isEqualTo("0");
                assertThat(get(nodeA, "f=check_email&seq=0&sid_token=" + enc(sid), null).body().get("list").get(1)
                        .get("mail_read").asText()).isEqualTo("1");

                // Address isolation: bob's message is not alice's to read or delete.
                Reply bobSession = post(nodeA, "f=set_email_user&email_user=bob", null);
                long bobsId = ids(get(nodeA, "f=check_email&seq=0", bobSession.cookie())).get(0);
                assertThat(get(nodeA, "f=fetch_email&email_id=" + bobsId + "&sid_token=" + enc(sid), null).body().isBoolean())
                        .as("another address's message is a bare false").isTrue();
                Reply notMine = post(nodeA, "f=del_email&email_ids%5B%5D=" + bobsId + "&sid_token=" + enc(sid), null);
                assertThat(notMine.body().get("deleted_ids")).isEmpty();
                assertThat(ids(get(nodeA, "f=check_email&seq=0", bobSession.cookie()))).containsExactly(bobsId);

                // del_email with email_ids[] twice.
                Reply deleted = post(nodeB, "f=del_email&email_ids%5B%5D=" + firstId + "&email_ids%5B%5D=" + third
                        + "&sid_token=" + enc(sid), null);
                assertThat(deleted.body().get("deleted_ids").toString()).isEqualTo("[\"" + firstId + "\",\"" + third + "\"]");
                assertThat(ids(get(nodeA, "f=check_email&seq=0&sid_token=" + enc(sid), null))).containsExactly(second);

                // extend: an hour at a time, two hours at most.
                Reply e1 = get(nodeA, "f=extend&sid_token=" + enc(sid), null);
                long ts = alice.body().get("email_timestamp").asLong();
                assertThat(e1.body().get("affected").asInt()).isEqualTo(1);
                assertThat(e1.body().get("expired").asBoolean()).isFalse();
                assertThat(e1.body().get("email_timestamp").asLong()).isEqualTo(ts + 3600);
                Reply e2 = get(nodeA, "f=extend", e1.cookie());
                assertThat(e2.body().get("email_timestamp").asLong()).isEqualTo(ts + 7200);
                Reply e3 = get(nodeA, "f=extend", e2.cookie());
                assertThat(e3.body().get("affected").asInt()).isZero();
                assertThat(e3.body().get("email_timestamp").asLong()).isEqualTo(ts + 7200);

                // forget_me: true for the session's own address; then get_email_address gives a new one.
                assertThat(post(nodeA, "f=forget_me&email_addr=bob%40example.com", e3.cookie()).body().asBoolean()).isFalse();
                Reply forgot = post(nodeA, "f=forget_me&email_addr=alice.test%40example.com", e3.cookie());
                assertThat(forgot.body().isBoolean() && forgot.body().asBoolean()).isTrue();
                Reply fresh = get(nodeB, "f=get_email_address", forgot.cookie());
                assertThat(fresh.body().get("email_addr").asText()).isNotEqualTo("alice.test@example.com");

                // A token that was tampered with is no session: a new address, not alice's.
                String forged = sid.substring(0, sid.length() - 2) + (sid.endsWith("A") ? "BB" : "AA");
                assertThat(get(nodeA, "f=check_email&seq=0&sid_token=" + enc(forged), null).body().get("email").asText())
                        .isNotEqualTo("alice.test@example.com");
            }
        }
    }

    @Test
    void badParametersGetJsonErrorsNamingThem(@TempDir Path dir) throws Exception {
        int smtp = Ports.free();
        int port = Ports.free();
        Files.writeString(dir.resolve("g.yaml"), config(smtp, port, dir.resolve("mail.db")));
        try (ServerProcess server = ServerProcess.startWithHttp(dir, port, "serve", "-c", "g.yaml")) {
            String url = "http://127.0.0.1:" + port + "/ajax.php";
            String sid = get(url, "f=get_email_address", null).cookie();
            StringBuilder many = new StringBuilder("f=del_email");
            for (int i = 1; i <= 101; i++) {
                many.append("&email_ids%5B%5D=").append(i);
            }
            List<String[]> cases = new ArrayList<>(List.of(
                    new String[] {"", "f"},
                    new String[] {"f=nope", "f"},
                    new String[] {"f=check_email", "seq"},
                    new String[] {"f=check_email&seq=abc", "seq"},
                    new String[] {"f=get_email_list&offset=-1", "offset"},
                    new String[] {"f=get_older_list&seq=0", "seq"},
                    new String[] {"f=get_older_list&seq=5&limit=1000", "limit"},
                    new String[] {"f=fetch_email&email_id=99999999999999999999", "email_id"},
                    new String[] {"f=del_email", "email_ids[]"},
                    new String[] {many.toString(), "email_ids[]"},
                    new String[] {"f=del_email&email_ids%5B%5D=x", "email_ids[]"},
                    new String[] {"f=set_email_user&email_user=a%20b", "email_user"},
                    new String[] {"f=set_email_user&email_user=x%40elsewhere.test", "email_user"},
                    new String[] {"f=set_email_user&email_user=x&domain=elsewhere.test", "domain"},
                    new String[] {"f=forget_me", "email_addr"},
                    new String[] {"f=check_email&seq=1&seq=2", "seq"}));
            for (String[] c : cases) {
                for (boolean viaPost : new boolean[] {false, true}) {
                    Reply r = viaPost ? post(url, c[0], sid) : get(url, c[0], sid);
                    assertThat(r.status()).as("%s %s", viaPost ? "POST" : "GET", c[0]).isEqualTo(400);
                    assertThat(r.body().get("parameter").asText()).as(c[0]).isEqualTo(c[1]);
                    assertThat(r.body().get("error").asText()).as(c[0]).isNotEmpty();
                }
            }
            assertThat(server.logText()).doesNotContain("Exception");
        }
    }

    private static String config(int smtp, int http, Path db) {
        return """
                listen_interface: 127.0.0.1:%d
                host_name: mx.it.test
                allowed_hosts: [example.com]
                log_level: info
                store:
                  path: %s
                http:
                  listen: 127.0.0.1:%d
                """.formatted(smtp, db, http);
    }

    private static List<Long> ids(Reply r) {
        List<Long> out = new ArrayList<>();
        r.body().get("list").forEach(m -> out.add(Long.parseLong(m.get("mail_id").asText())));
        return out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private Reply get(String url, String query, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + (query.isEmpty() ? "" : "?" + query))).GET();
        return send(b, cookie);
    }

    private Reply post(String url, String form, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        return send(b, cookie);
    }

    private Reply send(HttpRequest.Builder b, String cookie) throws Exception {
        if (cookie != null) {
            b.header("Cookie", "PHPSESSID=" + cookie);
        }
        HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        String set = r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("PHPSESSID="))
                .map(c -> c.substring("PHPSESSID=".length(), c.indexOf(';'))).findFirst().orElse(null);
        return new Reply(r.statusCode(), JSON.readTree(r.body()), set);
    }

    /** One message over SMTP, as a mailer sends it. */
    private static String deliver(int port, String to, String subject, String type, String body) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.reply();
            c.command("EHLO client.it.test");
            c.command("MAIL FROM:<sender@it.test>");
            c.command("RCPT TO:<" + to + ">");
            c.command("DATA");
            String reply = c.command("From: sender@it.test\r\nTo: " + to + "\r\nSubject: " + subject
                    + "\r\nMIME-Version: 1.0\r\nContent-Type: " + type + "; charset=utf-8\r\n\r\n" + body + "\r\n.");
            c.command("QUIT");
            return reply;
        }
    }
}
