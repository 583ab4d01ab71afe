package jgan.testing;

import java.util.Map;
import java.util.TreeMap;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints, at the end of a test run, how many tests were skipped and why (e.g. "no GPU: ..."), so
 * a run without a GPU says plainly which cases it did not cover. Registered through
 * META-INF/services, so Maven and JUnit's console launcher both pick it up.
 */
public final class SkipReport implements TestExecutionListener {
    private final Map<String, Integer> reasons = new TreeMap<>();

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        count(reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED && test.isTest()) {
            count(result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
        }
    }

    private synchronized void count(String reason) {
        String r = reason == null ? "(no reason given)" : reason.replaceFirst("^Assumption failed: ", "");
        reasons.merge(r, 1, Integer::sum);
    }

    @Override
    public synchronized void testPlanExecutionFinished(TestPlan plan) {
        if (reasons.isEmpty()) {
            return;
        }
        int total = reasons.values().stream().mapToInt(Integer::intValue).sum();
        StringBuilder s = new StringBuilder("[jgan] " + total + " test(s) skipped:");
        reasons.forEach((reason, n) -> s.append(String.format("%n[jgan]   %4d  %s", n, reason)));
        System.out.println(s);
        reasons.clear();
    }
}
