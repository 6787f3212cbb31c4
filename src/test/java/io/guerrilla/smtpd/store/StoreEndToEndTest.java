package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.config.Compression;
import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.NeedsServices;
import io.guerrilla.smtpd.support.SmtpClient;
import io.guerrilla.smtpd.support.TestServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.transcoders.SerializingTranscoder;
import net.rubyeye.xmemcached.utils.AddrUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same SMTP transaction, over a real socket, against every store (SQLite, MariaDB, PostgreSQL) and
 * every place a body can live (in the row raw, zlib or gzip; in Redis; in Memcached), with every column
 * of both rows checked and the body read back from where the row says it is.
 */
@NeedsServices
class StoreEndToEndTest {

    static Stream<Arguments> storesAndBodies() {
        List<String> stores = List.of("sqlite", "mysql", "postgres");
        List<String> bodies = List.of("raw", "zlib", "gzip", "redis", "memcached");
        return stores.stream().flatMap(s -> bodies.stream().map(b -> Arguments.of(s, b)));
    }

    @ParameterizedTest(name = "{0} with {1} bodies")
    @MethodSource("storesAndBodies")
    void everyColumnStoredAndBodyReadableWhereTheRowSays(String type, String bodies) throws Exception {
        StoreConfig store = Databases.config(type);
        switch (bodies) {
            case "zlib", "gzip" -> {
                store.saveProcess = "HeadersParser|Header|Hasher|Compressor|SQL";
                store.compress = Compression.valueOf(bodies.toUpperCase(Locale.ROOT));
            }
            case "redis" -> {
                Databases.require("Redis", 6379);
                store.saveProcess = "HeadersParser|Header|Hasher|Compressor|Redis|SQL";
                store.redis.ttl = 600;
            }
            case "memcached" -> {
                Databases.require("Memcached", 11211);
                store.saveProcess = "HeadersParser|Debugger|Header|Hasher|Memcached|SQL";
                store.memcached.ttl = 600;
            }
            default -> { }
        }
        Databases.requireWithSchema(store);
        if (!"sqlite".equals(type)) {
            Databases.truncate(store);
        }
        try (TestServer server = TestServer.start(c -> {
            store.path = c.store.path;
            c.store = store;
        })) {
            String queueId = sendTwoRecipientMessage(server.port());
            List<Map<String, Object>> rows = server.rows();
            assertThat(rows).hasSize(2);
            assertThat(server.receivedCounter()).as("gm2_setting received_emails counts messages").isEqualTo(1);

            Map<String, Object> alice = rows.get(0);
            Map<String, Object> bob = rows.get(1);
            String date = String.valueOf(alice.get("date")).replace('T', ' ').substring(0, 19);
            LocalDateTime stored = LocalDateTime.parse(date, DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss"));
            assertThat(ChronoUnit.SECONDS.between(stored, LocalDateTime.now(ZoneOffset.UTC))).as("date is UTC now").isBetween(-5L, 60L);
            assertThat(alice.get("from")).isEqualTo("sender@remote.test");
            assertThat(alice.get("to")).isEqualTo("Alice@example.com");
            assertThat(alice.get("recipient")).isEqualTo("Alice@Example.com");
            assertThat(alice.get("subject")).isEqualTo("Héllo wörld");
            assertThat(alice.get("body")).isEqualTo(bodies);
            assertThat(alice.get("charset")).isEqualTo("utf-8");
            assertThat(alice.get("content_type")).isEqualTo("multipart/mixed");
            assertThat(((Number) alice.get("has_attach")).intValue()).isEqualTo(1);
            assertThat(((Number) alice.get("spam_score")).doubleValue()).isZero();
            assertThat(alice.get("hash").toString()).matches("[0-9a-f]{32}");
            assertThat(alice.get("ip_addr")).isEqualTo("127.0.0.1");
            assertThat(alice.get("message_id")).isEqualTo("abc123@remote.test");
            assertThat(alice.get("reply_to")).isEqualTo("replies@remote.test");
            assertThat(alice.get("sender")).isEqualTo("agent@remote.test");
            assertThat(alice.get("return_path")).isEqualTo("Sender@Remote.test");
            assertThat(truthy(alice.get("is_tls"))).isFalse();
            assertThat(bob.get("to")).isEqualTo("bob@sub.example.org");
            assertThat(bob.get("hash")).isNotEqualTo(alice.get("hash"));

            String mail = new String(body(alice, bodies), StandardCharsets.UTF_8);
            assertThat(mail).startsWith("Delivered-To: Alice@Example.com\r\nReceived: from client.test ([127.0.0.1])\r\n"
                    + "\tby mx.test.local (guerrillad node-t) with ESMTP id " + queueId + "\r\n\tfor <Alice@Example.com>; ");
            assertThat(mail).contains("Subject: =?UTF-8?B?SMOpbGxvIHfDtnJsZA==?=\r\n")
                    .endsWith("\r\n\r\n--b1\r\n\r\n.dot-stuffed line\r\n--b1--\r\n");
            assertThat(new String(body(bob, bodies), StandardCharsets.UTF_8)).startsWith("Delivered-To: bob@sub.example.org\r\n");
        }
    }

    static Stream<Arguments> storesRawAndCompressed() {
        return Stream.of("sqlite", "mysql", "postgres").flatMap(s -> Stream.of(Arguments.of(s, "raw"), Arguments.of(s, "zlib")));
    }

    /**
     * A message of several MiB of arbitrary octets to two recipients, spilled to a file while received:
     * each copy is larger than what the store batches as an array, so it is streamed to the database
     * (SQLite: in parts joined by SQLite), and must come back exactly.
     */
    @ParameterizedTest(name = "{0} with {1} bodies")
    @MethodSource("storesRawAndCompressed")
    void largeMessageStreamedToTheStoreAndStoredExactly(String type, String bodies) throws Exception {
        StoreConfig store = Databases.config(type);
        if ("zlib".equals(bodies)) {
            store.saveProcess = "HeadersParser|Header|Hasher|Compressor|SQL";
            store.compress = Compression.valueOf(bodies.toUpperCase(Locale.ROOT));
        }
        Databases.requireWithSchema(store);
        if (!"sqlite".equals(type)) {
            Databases.truncate(store);
        }
        byte[] content = arbitraryContent(3 * SqlStore.PART_BYTES + 12_345);
        try (TestServer server = TestServer.start(c -> {
            store.path = c.store.path;
            c.store = store;
            c.spillThreshold = 64 * 1024;
        })) {
            assertThat(sendContent(server.port(), content, "alice@example.com", "bob@example.com"))
                    .startsWith("250 2.0.0 ");
            List<Map<String, Object>> rows = server.rows();
            assertThat(rows).hasSize(2);
            for (Map<String, Object> row : rows) {
                assertThat(row.get("body")).isEqualTo(bodies);
                byte[] mail = body(row, bodies);
                assertThat(new String(mail, 0, 14, StandardCharsets.US_ASCII)).isEqualTo("Delivered-To: ");
                assertThat(Arrays.copyOfRange(mail, mail.length - content.length, mail.length))
                        .as("the stored message ends with exactly what was sent").isEqualTo(content);
                assertThat(((Number) row.get("has_attach")).intValue()).isZero();
                assertThat(row.get("subject")).isEqualTo("large");
            }
        }
    }

    /**
     * MariaDB drops a connection that sends a statement over its max_allowed_packet (16 MiB by default),
     * which would fail the messages behind it too: such a message is refused before it is sent, gets
     * 451 alone, and the next one is stored at once.
     */
    @Test
    void messageOverMariaDbsPacketLimitFailsAloneAndTheNextIsStored() throws Exception {
        StoreConfig store = Databases.config("mysql");
        Databases.requireWithSchema(store);
        Databases.truncate(store);
        long packet;
        try (Connection c = DriverManager.getConnection(SqlDialect.MYSQL.jdbcUrl(store), store.user, store.password);
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT @@max_allowed_packet")) {
            rs.next();
            packet = rs.getLong(1);
        }
        byte[] content = arbitraryContent((int) packet + 1024);
        try (TestServer server = TestServer.start(c -> {
            c.store = store;
            c.maxSize = packet * 2;
        })) {
            assertThat(sendContent(server.port(), content, "alice@example.com")).startsWith("451 4.3.0");
            assertThat(SmtpClient.deliver(server.port(), "small@remote.test", "bob@example.com", "right after"))
                    .startsWith("250 2.0.0");
            assertThat(server.rows()).extracting(r -> r.get("to")).containsExactly("bob@example.com");
        }
    }

    /** Sends {@code content} (already ending in CRLF, no line starting with a dot) as one message; the reply to it. */
    private static String sendContent(int port, byte[] content, String... recipients) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.reply();
            c.command("EHLO client.test");
            assertThat(c.command("MAIL FROM:<big@remote.test> BODY=8BITMIME")).startsWith("250 ");
            for (String rcpt : recipients) {
                assertThat(c.command("RCPT TO:<" + rcpt + ">")).startsWith("250 ");
            }
            assertThat(c.command("DATA")).startsWith("354 ");
            c.send(content);
            c.send(".\r\n");
            return c.reply();
        }
    }

    /** Header, blank line, then lines of every octet but CR and LF, none starting with a dot; ends in CRLF. */
    private static byte[] arbitraryContent(int size) {
        byte[] b = new byte[size];
        byte[] header = "Subject: large\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(header, 0, b, 0, header.length);
        Random random = new Random(42);
        for (int i = header.length; i < size; i++) {
            int v;
            do {
                v = random.nextInt(256);
            } while (v == '\r' || v == '\n' || v == '.');
            b[i] = (byte) v;
        }
        for (int i = header.length + 998; i < size - 2; i += 1000) {
            b[i] = '\r';
            b[i + 1] = '\n';
        }
        b[size - 2] = '\r';
        b[size - 1] = '\n';
        return b;
    }

    private static String sendTwoRecipientMessage(int port) throws Exception {
        try (SmtpClient c = new SmtpClient(port)) {
            c.reply();
            c.command("EHLO client.test");
            assertThat(c.command("MAIL FROM:<Sender@Remote.test>")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("RCPT TO:<Alice@Example.com>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("RCPT TO:<bob@sub.example.org>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("DATA")).startsWith("354 ");
            c.send("From: \"Sender Name\" <sender@remote.test>\r\n"
                    + "Subject: =?UTF-8?B?SMOpbGxvIHfDtnJsZA==?=\r\n"
                    + "Message-ID: <abc123@remote.test>\r\n"
                    + "Reply-To: replies@remote.test\r\n"
                    + "Sender: agent@remote.test\r\n"
                    + "Content-Type: multipart/mixed; boundary=\"b1\"; charset=\"UTF-8\"\r\n"
                    + "\r\n"
                    + "--b1\r\n\r\n..dot-stuffed line\r\n--b1--\r\n"
                    + ".\r\n");
            String reply = c.reply();
            assertThat(reply).matches("250 2\\.0\\.0 Ok: queued as [0-9A-Z]+");
            c.command("QUIT");
            return reply.substring(reply.lastIndexOf(' ') + 1);
        }
    }

    /** The message bytes of a row, fetched and opened the way the row's body column says. */
    private static byte[] body(Map<String, Object> row, String bodies) throws Exception {
        byte[] mail = (byte[]) row.get("mail");
        String hash = row.get("hash").toString();
        return switch (bodies) {
            case "zlib" -> inflate(new InflaterInputStream(new ByteArrayInputStream(mail)));
            case "gzip" -> inflate(new GZIPInputStream(new ByteArrayInputStream(mail)));
            case "redis" -> {
                assertThat(mail).isEmpty();
                RedisClient client = RedisClient.create("redis://127.0.0.1:6379");
                try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE)) {
                    byte[] key = hash.getBytes(StandardCharsets.US_ASCII);
                    assertThat(c.sync().ttl(key)).as("TTL set").isBetween(1L, 600L);
                    yield inflate(new InflaterInputStream(new ByteArrayInputStream(c.sync().get(key))));
                } finally {
                    client.shutdown();
                }
            }
            case "memcached" -> {
                assertThat(mail).isEmpty();
                XMemcachedClientBuilder b = new XMemcachedClientBuilder(AddrUtil.getAddresses("127.0.0.1:11211"));
                SerializingTranscoder raw = new SerializingTranscoder();
                raw.setCompressionThreshold(Integer.MAX_VALUE);
                b.setTranscoder(raw);
                MemcachedClient client = b.build();
                try {
                    byte[] value = client.get(hash, 5000);
                    assertThat(value).as("memcached holds %s", hash).isNotNull();
                    yield value;
                } finally {
                    client.shutdown();
                }
            }
            default -> mail;
        };
    }

    private static byte[] inflate(InputStream in) throws Exception {
        try (in) {
            return in.readAllBytes();
        }
    }

    private static boolean truthy(Object v) {
        return v instanceof Boolean b ? b : ((Number) v).intValue() != 0;
    }
}
