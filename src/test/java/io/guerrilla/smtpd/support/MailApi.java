package io.guerrilla.smtpd.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.net.ssl.SSLContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The mail-reading REST API over real HTTP (java.net.http), and SMTP delivery of whole messages to feed it. */
public final class MailApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Bounded wait for any one response: the failure, never a measured time. */
    public static final Duration TIMEOUT = Duration.ofSeconds(60);

    public final String base;
    private final HttpClient http;
    private final String token;

    public MailApi(String base) {
        this(base, null, null);
    }

    public MailApi(String base, String token, SSLContext tls) {
        this.base = base;
        this.token = token;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (tls != null) {
            b.sslContext(tls);
        }
        this.http = b.build();
    }

    /** A response with its body as bytes. */
    public record Response(int status, HttpHeaders headers, byte[] body) {
        public JsonNode json() throws IOException {
            return JSON.readTree(body);
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    public static String mailbox(String address) {
        return "/api/v1/mailboxes/" + URLEncoder.encode(address, StandardCharsets.UTF_8);
    }

    public Response get(String path) throws Exception {
        return send(request(path).GET());
    }

    public Response delete(String path) throws Exception {
        return send(request(path).DELETE());
    }

    /** GET that must answer 200 with JSON. */
    public JsonNode json(String path) throws Exception {
        Response r = get(path);
        if (r.status() != 200) {
            throw new AssertionError("GET " + path + " answered " + r.status() + ": " + r.text());
        }
        return r.json();
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private Response send(HttpRequest.Builder b) throws Exception {
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Response(r.statusCode(), r.headers(), r.body());
    }

    /**
     * Delivers {@code message} (CRLF line ends) whole over SMTP, dot-stuffed; returns the reply to the
     * end of data, or the first reply that was not a 2xx/3xx.
     */
    public static String deliver(int port, String from, String to, byte[] message) throws IOException {
        try (SmtpClient c = new SmtpClient(port)) {
            c.timeout((int) TIMEOUT.toMillis());
            for (String line : new String[] {null, "EHLO client.test", "MAIL FROM:<" + from + "> SMTPUTF8",
                    "RCPT TO:<" + to + ">", "DATA"}) {
                String r = line == null ? c.reply() : c.command(line);
                if (r.charAt(0) != '2' && r.charAt(0) != '3') {
                    return r;
                }
            }
            c.send(dotStuffed(message));
            String reply = c.command(".");
            c.command("QUIT");
            return reply;
        }
    }

    private static byte[] dotStuffed(byte[] m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(m.length + 64);
        boolean lineStart = true;
        for (byte b : m) {
            if (lineStart && b == '.') {
                out.write('.');
            }
            out.write(b);
            lineStart = b == '\n';
        }
        if (!lineStart) {
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }
}
