import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;

/**
 * What the SQLite file identity check (SqliteFile: one stat per group commit) costs, as a ratio to
 * the commit it guards, both measured in this run on the same file system:
 * {@code java -cp ~/.m2/repository/org/xerial/sqlite-jdbc/VERSION/sqlite-jdbc-VERSION.jar bench/FileIdentityCost.java [DIR]}.
 * The commit is one row with synchronous=FULL in WAL mode, as the store writes by default.
 */
public class FileIdentityCost {
    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory(Path.of(args.length > 0 ? args[0] : "."), "identity-cost");
        Path db = dir.resolve("cost.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode=WAL");
            st.execute("PRAGMA synchronous=FULL");
            st.execute("CREATE TABLE t (v BLOB)");
            c.setAutoCommit(false);
            byte[] row = new byte[4096];
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO t VALUES (?)")) {
                int commits = 2_000;
                long started = System.nanoTime();
                for (int i = 0; i < commits; i++) {
                    insert.setBytes(1, row);
                    insert.executeUpdate();
                    c.commit();
                }
                double commitNs = (System.nanoTime() - started) / (double) commits;
                int stats = 200_000;
                Object key = null;
                for (int i = 0; i < stats; i++) {
                    key = Files.readAttributes(db, BasicFileAttributes.class).fileKey();
                }
                started = System.nanoTime();
                for (int i = 0; i < stats; i++) {
                    key = Files.readAttributes(db, BasicFileAttributes.class).fileKey();
                }
                double statNs = (System.nanoTime() - started) / (double) stats;
                System.out.printf("file key %s: stat %.0f ns, one-row commit %.0f ns, stat/commit %.4f%n", key, statNs,
                        commitNs, statNs / commitNs);
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }
}
