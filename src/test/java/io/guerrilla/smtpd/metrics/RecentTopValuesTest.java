package io.guerrilla.smtpd.metrics;

import io.guerrilla.smtpd.metrics.RecentTopValues.Entry;
import io.guerrilla.smtpd.support.TestClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's top-K lists over a sliding window, on a clock the test moves. */
class RecentTopValuesTest {
    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    /** A 60 s window in 6 slices of 10 s, at most 4 distinct values per slice. */
    private final RecentTopValues top = new RecentTopValues(clock, Duration.ofSeconds(60), 6, 4);

    private void add(String value, int times) {
        for (int i = 0; i < times; i++) {
            top.add(value);
        }
    }

    @Test
    void mostFrequentFirstAndCountsSumAcrossSlices() {
        add("a", 3);
        add("b", 5);
        clock.advance(Duration.ofSeconds(25));
        add("a", 4);
        add("c", 1);

        assertThat(top.top(10)).containsExactly(new Entry("a", 7), new Entry("b", 5), new Entry("c", 1));
        assertThat(top.top(2)).containsExactly(new Entry("a", 7), new Entry("b", 5));
    }

    @Test
    void valuesExpireOnceTheirSliceLeavesTheWindow() {
        add("old", 9);
        clock.advance(Duration.ofSeconds(30));
        add("new", 1);
        assertThat(top.top(5)).extracting(Entry::value).containsExactly("old", "new");

        // The slice of "old" began at t=0: at t=60 s it is out of the window, though nothing was added.
        clock.advance(Duration.ofSeconds(30));
        assertThat(top.top(5)).containsExactly(new Entry("new", 1));

        clock.advance(Duration.ofSeconds(40));
        assertThat(top.top(5)).isEmpty();
    }

    @Test
    void aSlotReusedAfterAFullTurnStartsEmpty() {
        add("first", 2);
        clock.advance(Duration.ofSeconds(60));
        add("second", 1);
        assertThat(top.top(5)).containsExactly(new Entry("second", 1));
    }

    @Test
    void aFloodOfDistinctValuesStaysBoundedAndKeepsTheHeavyHitter() {
        for (int i = 0; i < 10_000; i++) {
            top.add("random-" + i + ".example");
            if (i % 3 == 0) {
                top.add("heavy.example");
            }
            if (i % 1000 == 0) {
                clock.advance(Duration.ofSeconds(10));
            }
        }
        assertThat(top.distinctHeld()).isLessThanOrEqualTo(6 * 4);
        assertThat(top.top(1).get(0).value()).isEqualTo("heavy.example");
    }

    @Test
    void longValuesAreCutSoTheyCannotGrowMemory() {
        top.add("h".repeat(5000));
        assertThat(top.top(1).get(0).value()).hasSize(RecentTopValues.MAX_VALUE_CHARS);
    }
}
