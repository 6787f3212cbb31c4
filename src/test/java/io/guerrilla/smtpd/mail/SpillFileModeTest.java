package io.guerrilla.smtpd.mail;

import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** A body spilled to disk is in a file only its owner can read (and unlinked at once). */
class SpillFileModeTest {

    @Test
    void spillFilesAre0600(@TempDir Path dir) throws Exception {
        MessageBody body = new MessageBody(UnpooledByteBufAllocator.DEFAULT, 1 << 20, 16, dir);
        try {
            // More than one 64 KiB write chunk: the file is created when the first full chunk is handed to the writer.
            byte[] data = "x".repeat(200_000).getBytes();
            body.append(data, 0, data.length);
            assertThat(body.spilled()).isTrue();
            List<String> modes = new ArrayList<>();
            try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
                for (Path fd : fds.toList()) {
                    try {
                        if (Files.readSymbolicLink(fd).toString().startsWith(dir.resolve("guerrilla-body-").toString())) {
                            modes.add(PosixFilePermissions.toString(Files.getPosixFilePermissions(fd)));
                        }
                    } catch (java.io.IOException gone) {
                        // The listing's own descriptor, closed by now.
                    }
                }
            }
            assertThat(modes).containsExactly("rw-------");
            try (Stream<Path> left = Files.list(dir)) {
                assertThat(left).as("the spill file is unlinked once open").isEmpty();
            }
        } finally {
            body.release();
        }
    }
}
