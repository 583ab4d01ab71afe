package jgan.cpu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * The cpu device's worker threads: a fixed pool that runs the numbered tasks of one launch, the
 * calling thread taking tasks too. Results never depend on which thread ran a task: the callers
 * cut the work into tasks by the problem's shape alone, every output element is written by one
 * task, and partial sums are kept per task and added in task order.
 */
public final class CpuParallel implements AutoCloseable {
    private final int threads;
    private final ExecutorService pool;

    public CpuParallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("cpu: thread count must be >= 1, got " + threads);
        }
        this.threads = threads;
        AtomicInteger made = new AtomicInteger();
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "jgan-cpu-" + made.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() {
        return threads;
    }

    /** Tasks to cut {@code n} items into, {@code grain} at a time (at least one task). */
    static int tasks(long n, long grain) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (n + grain - 1) / grain));
    }

    /** Runs {@code body} for every task 0 .. tasks - 1 and returns when all are done; rethrows the first failure. */
    void run(int tasks, IntConsumer body) {
        if (tasks <= 1 || pool == null) {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable worker = () -> {
            try {
                for (int i; failure.get() == null && (i = next.getAndIncrement()) < tasks; ) {
                    body.accept(i);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
        int helpers = Math.min(threads, tasks) - 1;
        CountDownLatch done = new CountDownLatch(helpers);
        for (int h = 0; h < helpers; h++) {
            pool.execute(() -> {
                try {
                    worker.run();
                } finally {
                    done.countDown();
                }
            });
        }
        worker.run();
        boolean interrupted = false;
        while (true) {
            try {
                done.await(); // also makes the helpers' writes visible here
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
