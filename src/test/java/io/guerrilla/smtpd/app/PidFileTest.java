package io.guerrilla.smtpd.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The pid file replaces whatever was planted at its path and never writes through a symlink. */
class PidFileTest {

    @Test
    void aSymlinkAtThePathIsReplacedNotFollowed(@TempDir Path dir) throws Exception {
        Path precious = dir.resolve("shadow");
        Files.writeString(precious, "root:x:0:0\n");
        Path pid = dir.resolve("guerrillad.pid");
        Files.createSymbolicLink(pid, precious);

        PidFile f = PidFile.write(pid, 4242);

        assertThat(Files.readString(precious)).as("the symlink's target keeps its content").isEqualTo("root:x:0:0\n");
        assertThat(Files.isSymbolicLink(pid)).isFalse();
        assertThat(Files.isRegularFile(pid, LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.readString(pid)).isEqualTo("4242\n");
        assertThat(dir.toFile().list()).as("no temporary file left behind").containsExactlyInAnyOrder("shadow", "guerrillad.pid");

        f.remove();
        assertThat(pid).doesNotExist();
        assertThat(precious).exists();
    }

    @Test
    void aDanglingSymlinkDoesNotCreateItsTarget(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("etc-cron-job");
        Path pid = dir.resolve("guerrillad.pid");
        Files.createSymbolicLink(pid, target);

        PidFile.write(pid, 7);

        assertThat(target).doesNotExist();
        assertThat(Files.readString(pid)).isEqualTo("7\n");
    }

    @Test
    void removeLeavesAFileThatIsNoLongerOurs(@TempDir Path dir) throws Exception {
        Path pid = dir.resolve("guerrillad.pid");
        PidFile f = PidFile.write(pid, 1234);
        Files.writeString(pid, "999\n");

        f.remove();

        assertThat(Files.readString(pid)).as("a newer instance's pid file stays").isEqualTo("999\n");
    }
}
