package io.guerrilla.smtpd.store;

import org.sqlite.SQLiteConnection;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Which file an SQLite connection writes to, by device and inode ({@link BasicFileAttributes#fileKey()}).
 * A connection keeps writing to its file after the file is unlinked or replaced (rm -rf of the data
 * directory, a restore copied over it), and SQLite reports success for commits nobody will ever read:
 * so after each commit the path must still name the file the connection opened, or the commit does
 * not count (451, store not ready until a connection to the file at the path commits again).
 *
 * <p>The identity is taken when the store first uses a connection, which Hikari opened shortly
 * before; a file replaced within that moment is not noticed. One stat per commit: 0.3% of a one-row
 * commit's time (bench/FileIdentityCost.java).
 */
final class SqliteFile {
    private final Path path;
    private SQLiteConnection connection;
    private Object opened;

    SqliteFile(Path path) {
        this.path = path;
    }

    /** The identity of the file {@code c} writes to; read from the path the first time {@code c} is seen. */
    synchronized Object openedBy(Connection c) throws SQLException, StoreUnavailableException {
        SQLiteConnection raw = c.unwrap(SQLiteConnection.class);
        if (raw != connection) {
            opened = current();
            connection = raw;
        }
        return opened;
    }

    /** Throws when the path no longer names the file that was opened (removed, or replaced by another). */
    void check(Object opened) throws StoreUnavailableException {
        if (!opened.equals(current())) {
            throw new StoreUnavailableException("SQLite database " + path + " was replaced by another file while open;"
                    + " the last commit went to the old one");
        }
    }

    private Object current() throws StoreUnavailableException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            throw new StoreUnavailableException("SQLite database " + path + " is gone (" + e.getMessage()
                    + "); commits would go to a removed file", e);
        }
    }
}
