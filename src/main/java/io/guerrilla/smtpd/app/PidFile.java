package io.guerrilla.smtpd.app;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.UUID;

/**
 * The pid file, written so that whatever another user planted at its path (a symlink to a file of
 * root's, a hard-to-guess name made in advance) is replaced and never written through: the number
 * goes into a new file in the same directory, opened with O_CREAT|O_EXCL|O_NOFOLLOW semantics, which
 * is then renamed over the path (rename replaces a symlink itself, not what it points at).
 */
public final class PidFile {
    private final Path path;
    private final long pid;

    private PidFile(Path path, long pid) {
        this.path = path;
        this.pid = pid;
    }

    public static PidFile write(Path path, long pid) throws IOException {
        Path abs = path.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            // CREATE_NEW fails on any existing name, a dangling symlink included; NOFOLLOW_LINKS adds O_NOFOLLOW.
            try (SeekableByteChannel ch = Files.newByteChannel(tmp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")))) {
                ch.write(ByteBuffer.wrap((pid + "\n").getBytes(StandardCharsets.US_ASCII)));
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return new PidFile(abs, pid);
    }

    /** Removes the file only while it is still the regular file holding this process's id. */
    public void remove() throws IOException {
        if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.readString(path, StandardCharsets.US_ASCII).trim().equals(Long.toString(pid))) {
            Files.deleteIfExists(path);
        }
    }

    public Path path() {
        return path;
    }
}
