package io.guerrilla.smtpd.mail;

import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class MemoryBudgetTest {

    @Test
    void zeroMeansAShareOfTheJvmsDirectMemory() {
        assertThat(MemoryBudget.of(0, 0.5).limit()).isEqualTo(PlatformDependent.maxDirectMemory() / 2);
        assertThat(MemoryBudget.of(1_000, 0.5).limit()).isEqualTo(1_000);
    }

    @Test
    void tryReserveStopsAtTheLimitWhileReserveKeepsBytesAlreadyRead() {
        MemoryBudget budget = new MemoryBudget(100);
        assertThat(budget.tryReserve(60)).isTrue();
        assertThat(budget.tryReserve(50)).as("past the limit: nothing taken").isFalse();
        assertThat(budget.used()).isEqualTo(60);
        budget.reserve(50);
        assertThat(budget.used()).isEqualTo(110);
        assertThat(budget.exhausted()).isTrue();
    }

    @Test
    void waitersRunOnceWhenMemoryComesBack() {
        MemoryBudget budget = new MemoryBudget(100);
        budget.reserve(120);
        AtomicInteger resumed = new AtomicInteger();
        budget.whenAvailable(resumed::incrementAndGet);
        budget.release(10);
        assertThat(resumed).as("still at the limit").hasValue(0);
        budget.release(20);
        assertThat(resumed).hasValue(1);
        budget.release(90);
        assertThat(resumed).as("once only").hasValue(1);
        budget.whenAvailable(resumed::incrementAndGet);
        assertThat(resumed).as("at once when memory is there").hasValue(2);
        assertThat(budget.used()).isZero();
    }
}
