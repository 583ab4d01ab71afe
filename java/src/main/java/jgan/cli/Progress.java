package jgan.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress: on a terminal one line redrawn in place (a bar, the step, steps/s, elapsed,
 * ETA and the losses); anywhere else (a pipe, a file, a test) one plain line per report, so logs
 * stay readable. Elapsed time counts from this run's start (a resumed run from its resume).
 */
final class Progress {
    private static final int BAR = 20;
    private final PrintStream out;
    private final boolean terminal;
    private final long first;
    private final long total;
    private final long t0 = System.nanoTime();
    private boolean open;

    Progress(PrintStream out, long first, long total) {
        this(out, first, total, out == System.out && System.console() != null && !"dumb".equals(System.getenv("TERM")));
    }

    Progress(PrintStream out, long first, long total, boolean terminal) {
        this.out = out;
        this.first = first;
        this.total = total;
        this.terminal = terminal;
    }

    /** Reports step {@code s} of the total at {@code rate} steps/s, then {@code detail}. */
    void line(long s, double rate, String detail) {
        double elapsed = (System.nanoTime() - t0) / 1e9;
        double perStep = s > first ? elapsed / (s - first) : Double.NaN;
        String eta = Double.isFinite(perStep) ? clock(perStep * (total - s)) : "?";
        String text = String.format(Locale.ROOT, "step %d/%d  %.0f steps/s  elapsed %s  ETA %s  %s", s, total, rate, clock(elapsed), eta,
                detail);
        if (terminal) {
            int done = (int) (BAR * s / Math.max(1, total));
            out.print("\r\033[2K[" + "#".repeat(done) + " ".repeat(BAR - done) + "] " + text);
            out.flush();
            open = true;
        } else {
            out.println(text);
        }
    }

    /** Ends a redrawn line (nothing to do for plain lines). */
    void done() {
        if (open) {
            out.println();
            open = false;
        }
    }

    /** Seconds as m:ss, or h:mm:ss from an hour on. */
    static String clock(double seconds) {
        long t = Math.round(seconds);
        return t >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
                : String.format(Locale.ROOT, "%d:%02d", t / 60, t % 60);
    }
}
