package io.guerrilla.smtpd.support;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Prints, at the end of a run, how many tests were skipped for each reason (e.g. "MariaDB is not
 * reachable on 127.0.0.1:3306"), so a local run without the services says so in one place instead of
 * passing quietly. Registered through META-INF/services; under CI nothing is skipped this way, as a
 * missing service fails its tests there.
 */
public final class SkippedTestsSummary implements TestExecutionListener {
    private final Map<String, AtomicInteger> reasons = new ConcurrentHashMap<>();

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            String reason = result.getThrowable().map(Throwable::getMessage).orElse("no reason given");
            reasons.computeIfAbsent(reason.replaceFirst("^Assumption failed: ", ""), r -> new AtomicInteger())
                    .incrementAndGet();
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        if (reasons.isEmpty()) {
            return;
        }
        StringBuilder out = new StringBuilder("Skipped tests (locally only; under CI=true these fail):\n");
        new TreeMap<>(reasons).forEach((reason, n) -> out.append(String.format("  %4d  %s%n", n.get(), reason)));
        System.out.print(out);
    }
}
