package io.guerrilla.smtpd.smtp;

/**
 * How much room the server has for a new message now, as last sampled off the event loop: the state
 * machine asks it at MAIL without any I/O of its own.
 */
@FunctionalInterface
public interface StorageSpace {
    /** No guard: room for anything. */
    StorageSpace UNLIMITED = () -> Long.MAX_VALUE;

    /** Octets a message may use before the free space reserve is reached; 0 or less when it is. */
    long headroom();
}
