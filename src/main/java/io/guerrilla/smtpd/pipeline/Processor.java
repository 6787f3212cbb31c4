package io.guerrilla.smtpd.pipeline;

import java.util.concurrent.CompletableFuture;

/**
 * One step of the save pipeline (go-guerrilla's processor): it reads and changes the {@link Message}
 * and completes when its work is done. A step that waits on the network returns a future that
 * completes later and never blocks its thread for long; the next step runs off the event loop, on
 * the pipeline's executor.
 */
public interface Processor extends AutoCloseable {

    CompletableFuture<Void> process(Message message);

    /**
     * Whether the step is cheap on a small message and never blocks (no I/O, no waiting), so it may run
     * on an event loop; see {@link Pipeline#INLINE_BODY_BYTES}.
     */
    default boolean runsInline() {
        return false;
    }

    /** Cheap: whether the service this step writes to was reachable at the last attempt. */
    default boolean isHealthy() {
        return true;
    }

    @Override
    default void close() {
    }
}
