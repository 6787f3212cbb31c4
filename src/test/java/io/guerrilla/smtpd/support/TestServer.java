package io.guerrilla.smtpd.support;

import io.guerrilla.smtpd.app.Daemon;
import io.guerrilla.smtpd.config.ConfigLoader;
import io.guerrilla.smtpd.config.GuerrillaConfig;
import io.guerrilla.smtpd.metrics.ServerMetrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** A real server on a free loopback port, storing into a fresh SQLite file unless the test configures another store. */
public final class TestServer implements AutoCloseable {
    public final GuerrillaConfig config;
    public final Path dir;
    private final Daemon daemon;
    private final int port;

    private TestServer(GuerrillaConfig config, Path dir, ServerMetrics metrics) throws Exception {
        this.config = config;
        this.dir = dir;
        this.daemon = new Daemon(config, metrics);
        this.port = daemon.start().getPort();
    }

    public static TestServer start() throws Exception {
        return start(c -> { });
    }

    public static TestServer start(Consumer<GuerrillaConfig> customise) throws Exception {
        return start(ServerMetrics.NONE, customise);
    }

    /** A server that reports to {@code metrics}, as serve's reports to the admin listener's. */
    public static TestServer start(ServerMetrics metrics, Consumer<GuerrillaConfig> customise) throws Exception {
        Path dir = Files.createTempDirectory("guerrilla-test");
        GuerrillaConfig c = new GuerrillaConfig();
        c.listenInterface = "127.0.0.1:0";
        c.hostName = "mx.test.local";
        c.nodeName = "node-t";
        c.allowedHosts = List.of("localhost", "example.com", "*.example.org");
        c.store.path = dir.resolve("guerrilla.db").toString();
        c.logLevel = "warn";
        // Tests count what they stored: retention stays off unless a test turns it on.
        c.retention.maxAge = "0";
        c.retention.maxPerMailbox = 0;
        customise.accept(c);
        ConfigLoader.check(c, "test");
        return new TestServer(c, dir, metrics);
    }

    public int port() {
        return port;
    }

    public Daemon daemon() {
        return daemon;
    }

    public Path dbPath() {
        return Path.of(config.store.path);
    }

    /** A connection to the configured store's database. */
    public Connection connect() throws SQLException {
        return Databases.connect(config.store);
    }

    /** Every row of new_mail, oldest first, each as column name to value. */
    public List<Map<String, Object>> rows() throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM new_mail ORDER BY mail_id")) {
            List<Map<String, Object>> out = new ArrayList<>();
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= n; i++) {
                    row.put(rs.getMetaData().getColumnName(i).toLowerCase(Locale.ROOT), rs.getObject(i));
                }
                out.add(row);
            }
            return out;
        }
    }

    /** The rows whose stored message contains {@code marker}, oldest first. */
    public List<Map<String, Object>> rowsContaining(String marker) throws SQLException {
        return rows().stream().filter(r -> mail(r).contains(marker)).toList();
    }

    /** The stored message of a row (headers prepended by the server, then the message as received). */
    public static String mail(Map<String, Object> row) {
        return new String((byte[]) row.get("mail"), StandardCharsets.ISO_8859_1);
    }

    /** The one stored row whose subject is {@code subject}; fails the test unless there is exactly one. */
    public Map<String, Object> onlyRowWithSubject(String subject) throws SQLException {
        List<Map<String, Object>> found = rows().stream().filter(r -> subject.equals(r.get("subject"))).toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one row with subject \"" + subject + "\" but found " + found.size());
        }
        return found.get(0);
    }

    public long receivedCounter() throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT setting_value FROM gm2_setting WHERE setting_name = 'received_emails'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    public void execute(String sql) throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** Stops the server and deletes its directory (the SQLite file and anything a test put beside it). */
    @Override
    public void close() {
        daemon.close();
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
