package jgan.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The cpu device's worker threads: a fixed set that runs the numbered tasks of one launch, the
 * calling thread taking tasks too. Results never depend on which thread ran a task: the callers
 * cut the work into tasks by the problem's shape alone, every output element is written by one
 * task, and partial sums are kept per task and added in task order.
 *
 * <p>Hand-off: a launch of a training step is often only tens of microseconds of work, so the
 * workers do not go through an executor's queue. The caller publishes the launch (one volatile
 * write) and wakes only the workers that sleep; a worker that finished a launch spins for
 * {@link #SPIN_NANOS} watching for the next one before it parks, so back-to-back launches reach
 * it without a wake-up. The caller claims tasks like any worker and then waits only for the tasks
 * that workers have claimed and not finished: a worker that has not started yet finds nothing
 * left and costs the caller nothing (on a loaded machine the caller may run all the tasks).
 * A call made while another is in progress (from a task, or from another thread) runs its tasks
 * on its own thread, in order.
 */
public final class CpuParallel implements AutoCloseable {
    /** How long an idle worker watches for the next launch before it parks. */
    static final long SPIN_NANOS = 50_000;

    private final int threads;
    private final Thread[] workers;
    /** Per worker: it is parked (or about to park) and needs an unpark to see a new launch. */
    private final AtomicBoolean[] sleeping;
    /** The latest launch; workers run it when it differs from the last one they saw. */
    private volatile Job current;
    private volatile boolean closed;
    /** One launch at a time uses the workers; a call that finds them busy runs alone. */
    private final AtomicBoolean busy = new AtomicBoolean();

    /** One launch: its tasks, the next task to claim, the tasks finished, the first failure. */
    private static final class Job {
        /** Dropped once the launch is done, so that a finished launch holds no arrays. */
        IntConsumer body;
        final int tasks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(IntConsumer body, int tasks) {
            this.body = body;
            this.tasks = tasks;
        }

        /** Claims and runs tasks until none is left; every claimed task is counted done, failed or not. */
        void work() {
            for (int i; (i = next.getAndIncrement()) < tasks; ) {
                try {
                    if (failure.get() == null) {
                        body.accept(i);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.incrementAndGet(); // publishes the task's writes to the waiting caller
                }
            }
        }
    }

    public CpuParallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("cpu: thread count must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.sleeping = new AtomicBoolean[threads - 1];
        for (int w = 0; w < workers.length; w++) {
            int id = w;
            sleeping[w] = new AtomicBoolean();
            workers[w] = new Thread(() -> workerLoop(id), "jgan-cpu-" + (w + 1));
            workers[w].setDaemon(true);
            workers[w].start();
        }
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
        if (tasks <= 1 || workers.length == 0 || !busy.compareAndSet(false, true)) {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
            return;
        }
        Job job = new Job(body, tasks);
        try {
            current = job;
            int wake = Math.min(workers.length, tasks - 1);
            for (int w = 0; w < wake; w++) {
                if (sleeping[w].get()) {
                    LockSupport.unpark(workers[w]);
                }
            }
            job.work();
            // wait for the tasks the workers claimed: short, they are running
            for (int spins = 0; job.done.get() < tasks; spins++) {
                if (spins < 1000) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        } finally {
            job.body = null; // every task is done: a late worker only finds none left
            busy.set(false);
        }
        Throwable t = job.failure.get();
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

    private void workerLoop(int id) {
        Job seen = null;
        while (!closed) {
            Job j = current;
            if (j == seen) {
                long start = System.nanoTime();
                while ((j = current) == seen && !closed && System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                }
                if (j == seen) {
                    sleeping[id].set(true);
                    while ((j = current) == seen && !closed) {
                        LockSupport.park(this);
                    }
                    sleeping[id].set(false);
                }
            }
            if (closed) {
                return;
            }
            seen = j;
            if (j != null && id < j.tasks - 1) {
                j.work();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
