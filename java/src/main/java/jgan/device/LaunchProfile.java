package jgan.device;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a cpu device's time goes, launch by launch: while a profile is attached
 * ({@link CpuDevice#profile(LaunchProfile)}) every kernel launch, device copy and fill is timed
 * with {@link System#nanoTime()} around its (synchronous) execution, and added up under a key made
 * of the kernel's name and its integer arguments (the problem's sizes, so each layer of a network
 * is its own row), with the time the BLAS spent in {@code sgemm} during it, summed over the
 * device's threads (thread-nanoseconds: a GEMM on 2 threads for 1 ms counts 2 ms).
 *
 * <p>Only the cpu device can be profiled this way: its launches run to completion in the calling
 * thread, so the wall time of a launch is its cost. Not thread-safe; one device at a time.
 */
public final class LaunchProfile {
    /**
     * One row: a kernel with one set of integer arguments.
     *
     * @param kernel          the kernel's name ("device_copy", "fill32" for copies and fills)
     * @param ints            its integer arguments in signature order ("" for copies and fills: their word count)
     * @param calls           launches
     * @param nanos           wall nanoseconds of those launches together
     * @param gemmThreadNanos nanoseconds spent in BLAS sgemm during them, summed over threads
     */
    public record Entry(String kernel, String ints, long calls, long nanos, long gemmThreadNanos) {
    }

    private final Map<String, long[]> rows = new LinkedHashMap<>();
    private final Map<String, String[]> names = new LinkedHashMap<>();

    void add(String kernel, String ints, long nanos, long gemmThreadNanos) {
        String key = kernel + "(" + ints + ")";
        long[] r = rows.get(key);
        if (r == null) {
            r = new long[3];
            rows.put(key, r);
            names.put(key, new String[] {kernel, ints});
        }
        r[0]++;
        r[1] += nanos;
        r[2] += gemmThreadNanos;
    }

    /** The rows in order of first launch. */
    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        for (Map.Entry<String, long[]> e : rows.entrySet()) {
            String[] n = names.get(e.getKey());
            long[] r = e.getValue();
            out.add(new Entry(n[0], n[1], r[0], r[1], r[2]));
        }
        return out;
    }

    /** Forgets every row. */
    public void clear() {
        rows.clear();
        names.clear();
    }
}
