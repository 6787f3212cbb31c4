package io.guerrilla.smtpd.store;

import io.guerrilla.smtpd.smtp.StorageSpace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Postfix's {@code queue_minfree}: keeps a reserve of free space on the file systems that received
 * mail is written to (the SQLite database's directory, the spill directories), so the disk never fills
 * under a transaction. A thread samples them every {@link #SAMPLE_INTERVAL_MS} ms; sessions read only
 * the last sample ({@link #headroom()}, a volatile read), so no command waits on the file system.
 *
 * <p>The reserve of each file system is {@code min_free_space} or {@code min_free_space_percent} of
 * its size, whichever is smaller; either set to 0 turns the guard off.
 */
public final class FreeSpaceGuard implements StorageSpace, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FreeSpaceGuard.class);
    /**
     * How stale the sample may be. Within a second a busy server writes at most its disk's bandwidth for
     * a second, which the reserve (1 GiB by default) is far larger than.
     */
    static final long SAMPLE_INTERVAL_MS = 1000;

    private record Settings(List<Path> directories, long minFreeBytes, int minFreePercent) {
    }

    private volatile Settings settings;
    private volatile long headroom = Long.MAX_VALUE;
    private volatile String shortOf = "";
    private ScheduledExecutorService sampler;

    /**
     * @param directories where received mail is written; a missing one counts by its nearest existing parent
     */
    public FreeSpaceGuard(List<Path> directories, long minFreeBytes, int minFreePercent) {
        configure(directories, minFreeBytes, minFreePercent);
    }

    /** Takes new settings (config reload); they apply from the next sample, which runs now. */
    public void configure(List<Path> directories, long minFreeBytes, int minFreePercent) {
        settings = new Settings(List.copyOf(directories), minFreeBytes, minFreePercent);
        sample();
    }

    public synchronized void start() {
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "free-space");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleWithFixedDelay(this::sample, SAMPLE_INTERVAL_MS, SAMPLE_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /** Octets free above the reserve on the fullest file system, at the last sample; unlimited without a guard. */
    @Override
    public long headroom() {
        return headroom;
    }

    /** Whether every guarded file system had more than its reserve free at the last sample (readiness). */
    public boolean available() {
        return headroom > 0;
    }

    synchronized void sample() {
        Settings s = settings;
        long least = Long.MAX_VALUE;
        String fullest = "";
        if (s.minFreeBytes() > 0 && s.minFreePercent() > 0) {
            for (Path dir : s.directories()) {
                try {
                    FileStore fs = Files.getFileStore(existingAncestor(dir));
                    long reserve = Math.min(s.minFreeBytes(), fs.getTotalSpace() / 100 * s.minFreePercent());
                    long room = fs.getUsableSpace() - reserve;
                    if (room < least) {
                        least = room;
                        fullest = dir + " (" + fs.getUsableSpace() + " octets free, reserve " + reserve + ")";
                    }
                } catch (IOException | RuntimeException e) {
                    // The sampler must keep running; a directory it cannot measure is left to the store's own errors.
                    log.debug("cannot measure free space of {}: {}", dir, e.toString());
                }
            }
        }
        if (least <= 0 && shortOf.isEmpty()) {
            log.warn("free space below min_free_space on {}: MAIL gets 452 4.3.1 and /readyz is not ready until it returns",
                    fullest);
            shortOf = fullest;
        } else if (least > 0 && !shortOf.isEmpty()) {
            log.info("free space back above min_free_space ({}): accepting mail again", fullest);
            shortOf = "";
        }
        headroom = least;
    }

    private static Path existingAncestor(Path dir) {
        Path p = dir.toAbsolutePath();
        while (p.getParent() != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p;
    }

    @Override
    public synchronized void close() {
        if (sampler != null) {
            sampler.shutdownNow();
        }
    }
}
