package io.guerrilla.smtpd.it;

import io.guerrilla.smtpd.config.StoreConfig;
import io.guerrilla.smtpd.support.Commands;
import io.guerrilla.smtpd.support.Databases;
import io.guerrilla.smtpd.support.LoadClients;
import io.guerrilla.smtpd.support.Ports;
import io.guerrilla.smtpd.support.Requirements;
import io.guerrilla.smtpd.support.ServerProcess;
import io.guerrilla.smtpd.support.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store's file system failing under a running packaged server, as an operator meets it: the disk
 * fills and is grown again, the data directory is removed, free space falls below min_free_space.
 * Each asserts, for every message sent, that a reply came and that 250 was given only for a message
 * whose row is in the database (rows answered 451 are counted as the duplicates a sender will resend).
 */
class StorageFaultsIT {
    private static final int CLIENTS = 8;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void diskFullFailsWith451AndStoresAgainOnceTheDiskIsGrown(@TempDir Path dir) throws Exception {
        Path fs = dir.resolve("fs");
        mountTmpfs(fs, "6m");
        try {
            int port = Ports.free();
            int admin = Ports.free();
            // The guard is off: this is what the writer does when SQLite itself meets a full disk.
            Path config = config(dir, port, admin, fs.resolve("guerrilla.db"), "min_free_space: 0\n");
            try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", config.toString())) {
                server.awaitLog("admin listening");
                fill(fs.resolve("filler"), Files.getFileStore(fs).getUsableSpace() - 256 * 1024);
                try (LoadClients load = new LoadClients("full", port, CLIENTS, 1_000_000, true)) {
                    await("451 4.3.0 once the disk is full", () -> load.count("451 4.3.0") > 0, 60);
                    await("/readyz 503 while the disk is full", () -> readyz(admin) == 503, 15);

                    Commands.run(List.of("mount", "-o", "remount,size=64m", fs.toString()));
                    int atGrowth = load.acknowledged.size();
                    await("250 again after the disk was grown", () -> load.acknowledged.size() >= atGrowth + 200, 60);
                    Set<String> refusedBeforeRecovery = Set.copyOf(load.refused);
                    int atRecovery = load.acknowledged.size();
                    await("more 250 after recovery", () -> load.acknowledged.size() >= atRecovery + 300, 60);
                    await("/readyz 200 after recovery", () -> readyz(admin) == 200, 15);
                    load.close();
                    // Stopped, the server has finished every transaction: a late commit would show in the rows.
                    server.signal("TERM");
                    assertThat(server.waitForExit(Duration.ofSeconds(60))).isZero();

                    List<String> rows = subjects(fs.resolve("guerrilla.db"));
                    Set<String> refusedAfterRecovery = new HashSet<>(load.refused);
                    refusedAfterRecovery.removeAll(refusedBeforeRecovery);
                    assertThat(refusedAfterRecovery).as("no 4xx after recovery (the bug: every message 451, yet stored)")
                            .isEmpty();
                    report("disk full", load, rows, 0);
                }
            }
        } finally {
            Commands.exec(List.of("umount", "-l", fs.toString()));
        }
    }

    @Test
    void removedDatabaseDirectoryGets451UntilInitDbCreatesItAgain(@TempDir Path dir) throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        Path data = dir.resolve("data");
        Path db = data.resolve("guerrilla.db");
        Path config = config(dir, port, admin, db, "");
        try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", config.toString());
             LoadClients load = new LoadClients("removed", port, CLIENTS, 1_000_000, true)) {
            server.awaitLog("admin listening");
            await("mail flows", () -> load.acknowledged.size() > 200, 60);
            deleteTree(data);
            int atRemoval = load.acknowledged.size();
            await("451 4.3.0 after the removal", () -> load.count("451 4.3.0") > 0, 30);
            await("/readyz 503 without the database", () -> readyz(admin) == 503, 15);
            // An event, not a pause: every client has been refused twice more since, so any 250 into the
            // removed file would have come by now.
            int refusedAtNotReady = load.count("451 4.3.0");
            await("every client refused again after the removal", () -> load.count("451 4.3.0") >= refusedAtNotReady + 2 * CLIENTS, 30);
            assertThat(load.acknowledged.size()).as("no 250 into the removed file, beyond the messages in flight at the rm")
                    .isLessThanOrEqualTo(atRemoval + CLIENTS);

            Set<String> acknowledgedBefore = Set.copyOf(load.acknowledged);
            Set<String> refusedBefore = Set.copyOf(load.refused);
            // init-db can meet the running server's probe opening the new file at the same moment (SQLITE_BUSY
            // while setting WAL mode); an operator runs it again, and so does the test.
            List<String> initDb = List.of(ServerProcess.launcher().toString(), "init-db", "-c", config.toString());
            Commands.Result init = Commands.exec(initDb);
            for (int attempt = 1; attempt < 5 && init.exitCode() != 0; attempt++) {
                init = Commands.exec(initDb);
            }
            assertThat(init.output()).contains("schema ready");
            int atInit = load.acknowledged.size();
            await("250 again into the new database", () -> load.acknowledged.size() >= atInit + 200, 60);
            await("/readyz 200 again", () -> readyz(admin) == 200, 15);
            load.close();

            List<String> rows = subjects(db);
            assertThat(rows).as("no message stored twice").doesNotHaveDuplicates();
            Set<String> acknowledgedAfter = new HashSet<>(load.acknowledged);
            acknowledgedAfter.removeAll(acknowledgedBefore);
            assertThat(rows).as("every 250 after the new database was created has its row").containsAll(acknowledgedAfter);
            Set<String> refusedAfter = new HashSet<>(load.refused);
            refusedAfter.removeAll(refusedBefore);
            assertThat(rows).as("no committed row answered 451 after recovery").doesNotContainAnyElementsOf(refusedAfter);
            assertThat(load.unanswered).as("every message got a reply").isEmpty();
            System.out.printf("removed: %d acknowledged before the rm, %d in flight at it; %d acknowledged after init-db,"
                    + " all %d in the new database; %d got 451%n", atRemoval, acknowledgedBefore.size() - atRemoval,
                    acknowledgedAfter.size(), rows.size(), load.count("451 4.3.0"));
        }
    }

    @Test
    void belowMinFreeSpaceMailGets452UntilSpaceReturns(@TempDir Path dir) throws Exception {
        Path fs = dir.resolve("fs");
        mountTmpfs(fs, "32m");
        try {
            int port = Ports.free();
            int admin = Ports.free();
            Path spill = Files.createDirectories(fs.resolve("spill"));
            long reserve = 8L * 1024 * 1024;
            Path db = fs.resolve("guerrilla.db");
            Path config = config(dir, port, admin, db, "min_free_space: " + reserve + "\nmin_free_space_percent: 100\n"
                    + "spill_directory: " + spill + "\n");
            try (ServerProcess server = ServerProcess.start(dir, port, "serve", "-c", config.toString());
                 SmtpClient c = new SmtpClient(port)) {
                server.awaitLog("admin listening");
                c.reply();
                c.command("EHLO guard.test");
                assertThat(c.transaction("a@guard.test", "x@example.com", "guard-before")).startsWith("250 ");

                Path filler = fs.resolve("filler");
                fill(filler, Files.getFileStore(fs).getUsableSpace() - reserve / 2);
                await("MAIL gets 452 4.3.1 below min_free_space", () -> mailReply(c, "").startsWith("452 4.3.1"), 15);
                await("/readyz 503 below min_free_space", () -> readyz(admin) == 503, 15);
                server.awaitLog("free space below min_free_space");

                Files.delete(filler);
                await("MAIL 250 once space returned", () -> mailReply(c, "").startsWith("250 "), 15);
                await("/readyz 200 once space returned", () -> readyz(admin) == 200, 15);

                long room = 2L * 1024 * 1024;
                fill(filler, Files.getFileStore(fs).getUsableSpace() - reserve - room);
                await("SIZE= above the room left gets 452 4.3.1",
                        () -> mailReply(c, " SIZE=" + 2 * room).startsWith("452 4.3.1"), 15);
                assertThat(mailReply(c, " SIZE=" + room / 4)).as("SIZE= within the room left").startsWith("250 ");
                assertThat(c.transaction("a@guard.test", "x@example.com", "guard-after")).startsWith("250 ");
                assertThat(subjects(db)).containsExactlyInAnyOrder("guard-before", "guard-after");
            }
        } finally {
            Commands.exec(List.of("umount", "-l", fs.toString()));
        }
    }

    /** The reply to MAIL (with {@code parameters}); a transaction it opened is reset again. */
    private static String mailReply(SmtpClient c, String parameters) {
        try {
            String reply = c.command("MAIL FROM:<a@guard.test>" + parameters);
            if (reply.startsWith("250 ")) {
                c.command("RSET");
            }
            return reply;
        } catch (IOException e) {
            throw new AssertionError("connection broke", e);
        }
    }

    private static Path config(Path dir, int port, int admin, Path db, String extra) throws IOException {
        Path config = dir.resolve("guerrilla.yaml");
        Files.writeString(config, """
                listen_interface: 127.0.0.1:%d
                host_name: mx.it.test
                allowed_hosts: [example.com]
                log_level: info
                %sstore:
                  path: %s
                admin:
                  listen: 127.0.0.1:%d
                """.formatted(port, extra, db, admin));
        return config;
    }

    /**
     * Mounts a tmpfs of {@code size} at {@code mountPoint}: a disk that fills for real. Where mounting is
     * impossible (no root, a container without CAP_SYS_ADMIN) the test is skipped, except under CI.
     */
    static void mountTmpfs(Path mountPoint, String size) throws Exception {
        Files.createDirectories(mountPoint);
        Commands.Result r = Commands.exec(List.of("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mountPoint.toString()));
        if (r.exitCode() != 0) {
            Requirements.missing("cannot mount a tmpfs to fill (needs root and CAP_SYS_ADMIN): " + r.output().strip());
        }
    }

    /** Takes {@code bytes} of the file system with a file of real blocks (tmpfs counts only written pages). */
    private static void fill(Path file, long bytes) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            for (long written = 0; written < bytes; written += block.length) {
                f.write(block, 0, (int) Math.min(block.length, bytes - written));
            }
        }
    }

    private int readyz(int admin) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/readyz"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Waits (bounded) for something the server does in response to the fault. */
    static void await(String what, BooleanSupplier condition, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + seconds + " s: " + what);
            }
            Thread.sleep(100);
        }
    }

    /** The subject of every row, one entry per row: a message stored twice is there twice. */
    static List<String> subjects(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            return subjects(c);
        }
    }

    static List<String> subjects(Connection c) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT subject FROM new_mail")) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        }
        return rows;
    }

    /**
     * Stops the server (SIGTERM, which waits for the store) and returns the subject of every row: read
     * once every transaction has ended, so a message answered 451 and committed late shows.
     */
    static List<String> rowsAfterStop(ServerProcess server, StoreConfig store) throws Exception {
        server.signal("TERM");
        assertThat(server.waitForExit(Duration.ofSeconds(120))).as("the server stopped").isZero();
        try (Connection c = Databases.connect(store)) {
            return subjects(c);
        }
    }

    /** Messages the server answered 451 after a COMMIT whose outcome it could not know (its WARN lines). */
    static long outcomeUnknown(ServerProcess server) {
        Matcher m = OUTCOME_UNKNOWN.matcher(server.logText());
        long n = 0;
        while (m.find()) {
            n += Long.parseLong(m.group(1));
        }
        return n;
    }

    private static final Pattern OUTCOME_UNKNOWN = Pattern.compile("commit outcome unknown for (\\d+) messages");

    /**
     * Asserts, for every message of the run, both directions: a 250 has its row, a refused (4xx) one has
     * none (the sender retries it; a row would be a duplicate), none is stored twice, and every one got a
     * reply. Prints the counts the reliability notes quote.
     *
     * @param ambiguous how many refused messages may be stored all the same: those the server logged as
     *                  "commit outcome unknown" (a COMMIT cut off before its answer), the one ambiguity no
     *                  server can close
     */
    static void report(String fault, LoadClients load, List<String> rowList, long ambiguous) {
        Set<String> rows = new HashSet<>(rowList);
        assertThat(rows).as("every 250 has its row").containsAll(load.acknowledged);
        Set<String> unexplained = new HashSet<>(rows);
        unexplained.removeAll(load.acknowledged);
        unexplained.removeAll(load.refused);
        unexplained.removeAll(load.unanswered);
        assertThat(unexplained).as("no row for a message never sent").isEmpty();
        assertThat(load.unanswered).as("every message got a reply").isEmpty();
        Set<String> refusedButStored = new HashSet<>(rows);
        refusedButStored.retainAll(load.refused);
        int storedTwice = rowList.size() - rows.size();
        System.out.printf("%s: %d sent, %d acknowledged (all stored), %d refused (%s), refused but stored: %d"
                + " (commits of unknown outcome: %d), stored twice: %d, unanswered: %d%n", fault, load.attempts.get(),
                load.acknowledged.size(), load.refused.size(), load.otherReplies, refusedButStored.size(), ambiguous,
                storedTwice, load.unanswered.size());
        assertThat(storedTwice).as("messages stored twice").isZero();
        assertThat((long) refusedButStored.size()).as("refused but stored: %s", refusedButStored)
                .isLessThanOrEqualTo(ambiguous);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
