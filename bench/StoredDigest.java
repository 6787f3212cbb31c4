import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteLimits;

import java.io.InputStream;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HexFormat;

/**
 * Prints, for each HASH:SIZE argument, the md5 of the last SIZE octets of the row's mail column (the
 * message after the prepended trace headers), or "missing". Run with the server's shaded jar on the
 * class path, which carries every JDBC driver: bench.py uses it because the system SQLite (Python's
 * sqlite3, the sqlite3 shell) cannot read values above 1e9 octets, such as the 1 GiB message.
 *
 *   java -cp target/guerrillad.jar bench/StoredDigest.java JDBC_URL USER PASSWORD HASH:SIZE...
 */
public class StoredDigest {
    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection(args[0], args[1], args[2])) {
            if (args[0].startsWith("jdbc:sqlite:")) {
                c.unwrap(SQLiteConnection.class).setLimit(SQLiteLimits.SQLITE_LIMIT_LENGTH, Integer.MAX_VALUE);
            }
            for (int i = 3; i < args.length; i++) {
                String[] hashAndSize = args[i].split(":");
                long size = Long.parseLong(hashAndSize[1]);
                try (PreparedStatement ps = c.prepareStatement("SELECT mail FROM new_mail WHERE hash = ?")) {
                    ps.setString(1, hashAndSize[0]);
                    try (ResultSet rs = ps.executeQuery()) {
                        System.out.println(rs.next() ? md5OfTail(rs.getBinaryStream(1), size) : "missing");
                    }
                }
            }
        }
    }

    private static String md5OfTail(InputStream mail, long size) throws Exception {
        byte[] all = mail.readAllBytes();
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update(all, (int) Math.max(0, all.length - size), (int) Math.min(all.length, size));
        return HexFormat.of().formatHex(md5.digest());
    }
}
