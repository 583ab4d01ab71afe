package jgan.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress: on a terminal one line redrawn in place about once a second (a bar, the step,
 * steps/s, elapsed, ETA and the losses of the last report) and at every report; anywhere else (a pipe, a file, a test) one plain line per report, so logs
 * stay readable. Elapsed time is the run's training time, as log.csv's elapsed_s: a resumed run
 * carries on from the time its checkpoint had (the ETA is from this start's own speed). The
 * redrawn line fits the terminal's width (COLUMNS, which ./jgan sets from the terminal, else
 * 80), so it never wraps ("\r\033[2K" clears one row only): on a narrow terminal the bar, then
 * elapsed and steps/s, then the ETA are left out before the losses are cut.
 */
final class Progress {
    private static final int BAR = 20;
    private final PrintStream out;
    private final boolean terminal;
    private final long first;
    private final long total;
    private final java.util.function.LongSupplier nanos;
    private final long t0;
    /** The run's training seconds before this start (a resume's), added to the elapsed time shown. */
    private final double before;
    private final int columns;
    private boolean open;
    /** The losses of the last report, shown again by {@link #tick} between reports ("" before the first). */
    private String lastDetail = "";
    private long drawnAt;
    private long drawnStep;

    /** @param before the run's training seconds before this start (0 for a new run; a resume: its checkpoint's) */
    Progress(PrintStream out, long first, long total, double before) {
        this(out, first, total, out == System.out && System.console() != null && !"dumb".equals(System.getenv("TERM")),
                columns(System.getenv("COLUMNS")), System::nanoTime, before);
    }

    Progress(PrintStream out, long first, long total, boolean terminal) {
        this(out, first, total, terminal, 80);
    }

    Progress(PrintStream out, long first, long total, boolean terminal, int columns) {
        this(out, first, total, terminal, columns, System::nanoTime);
    }

    /** @param clock nanoseconds, as System.nanoTime (a test's own clock) */
    Progress(PrintStream out, long first, long total, boolean terminal, int columns, java.util.function.LongSupplier clock) {
        this(out, first, total, terminal, columns, clock, 0);
    }

    /**
     * @param clock  nanoseconds, as System.nanoTime (a test's own clock)
     * @param before the run's training seconds before this start (0 for a new run; a resume: its checkpoint's)
     */
    Progress(PrintStream out, long first, long total, boolean terminal, int columns, java.util.function.LongSupplier clock, double before) {
        this.before = before;
        this.nanos = clock;
        this.t0 = clock.getAsLong();
        this.drawnAt = t0;
        this.drawnStep = first;
        this.out = out;
        this.first = first;
        this.total = total;
        this.terminal = terminal;
        this.columns = Math.max(20, columns);
    }

    /** The terminal width from $COLUMNS, 80 when unset or not a number. */
    static int columns(String env) {
        try {
            return env == null ? 80 : Integer.parseInt(env.trim());
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    /** Redraws on a terminal at most this often between reports. */
    static final long TICK_NANOS = 1_000_000_000L;

    /**
     * Called after every step: on a terminal, redraws the bar about once a second (the step,
     * steps/s since the last redraw, the ETA, and the losses of the last report, which only
     * {@link #line} reads from the device); does nothing otherwise, and prints no plain line.
     */
    void tick(long s) {
        if (!terminal) {
            return;
        }
        long now = nanos.getAsLong();
        if (now - drawnAt < TICK_NANOS) {
            return;
        }
        draw(s, (s - drawnStep) / ((now - drawnAt) / 1e9), lastDetail, now);
    }

    /** Reports step {@code s} of the total at {@code rate} steps/s, then {@code detail} (the losses). */
    void line(long s, double rate, String detail) {
        lastDetail = detail;
        draw(s, rate, detail, nanos.getAsLong());
    }

    private void draw(long s, double rate, String detail, long now) {
        drawnAt = now;
        drawnStep = s;
        double elapsed = (now - t0) / 1e9;
        double perStep = s > first ? elapsed / (s - first) : Double.NaN;
        String eta = Double.isFinite(perStep) ? clock(perStep * (total - s)) : "?";
        String text = String.format(Locale.ROOT, "step %d/%d  %s  elapsed %s  ETA %s  %s", s, total, rate(rate), clock(before + elapsed), eta,
                detail);
        if (terminal) {
            int done = (int) (BAR * s / Math.max(1, total));
            // the richest form that fits (the last column would wrap on some terminals): the bar goes first, then
            // elapsed and steps/s, then the ETA; the step and the losses stay as long as any room is left
            String stepText = String.format(Locale.ROOT, "step %d/%d  ", s, total);
            String shown = null;
            for (String form : new String[] {"[" + "#".repeat(done) + " ".repeat(BAR - done) + "] " + text, text,
                    stepText + "ETA " + eta + "  " + detail, stepText + detail}) {
                if (form.length() <= columns - 1) {
                    shown = form;
                    break;
                }
            }
            if (shown == null) {
                String last = stepText + detail;
                shown = last.substring(0, columns - 2) + "…";
            }
            out.print("\r\033[2K" + shown);
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

    /**
     * A training speed: "12 steps/s" from 1 step/s on, below that the seconds a step takes, "4.2
     * s/step" (a DCGAN-64 on 2 cores runs at 0.2-0.3 steps/s, which "0 steps/s" would hide).
     */
    static String rate(double stepsPerSecond) {
        if (stepsPerSecond > 0 && stepsPerSecond < 1 && Double.isFinite(stepsPerSecond)) {
            return String.format(Locale.ROOT, "%.1f s/step", 1 / stepsPerSecond);
        }
        return String.format(Locale.ROOT, "%.0f steps/s", stepsPerSecond);
    }

    /** Seconds as m:ss, or h:mm:ss from an hour on. */
    static String clock(double seconds) {
        long t = Math.round(seconds);
        return t >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
                : String.format(Locale.ROOT, "%d:%02d", t / 60, t % 60);
    }
}
