package io.guerrilla.smtpd.config;

/** SQLite's {@code synchronous} pragma ({@code store.synchronous}): how a commit reaches the disk. */
public enum SqliteSync {
    /** fsync at every commit: a 250 survives power loss (the default). */
    FULL,
    /** FULL, and the directory is synced too when the journal is removed. */
    EXTRA,
    /** fsync at checkpoints only: a 250 survives a crash of the process, not of the machine. */
    NORMAL
}
