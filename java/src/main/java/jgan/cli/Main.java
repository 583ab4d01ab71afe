package jgan.cli;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import jgan.device.CudaSupport;
import jgan.device.Device;
import jgan.device.DeviceOutOfMemoryException;
import jgan.device.Devices;
import jgan.device.Fatbin;
import jgan.device.HostRuntime;
import jgan.io.FileError;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The command line: {@code jgan info | train | eval | sample | export | bench | classifier | help}, parsed by picocli (typed
 * options, generated help with every default and choice). Exit status: 0 done, 1 a file could not be
 * read or written, out of memory, or divergence (the message says what and where), 2 bad options or
 * input (also a data file or folder that is the wrong thing: no images, foreign, truncated), 130/143 stopped by
 * a signal after a checkpoint.
 */
@Command(name = "jgan", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, usageHelpAutoWidth = true,
        description = "GAN training on jgan's own CUDA kernels (or their CPU builds). Run `jgan COMMAND --help` for a command's options.",
        subcommands = {Main.Info.class, TrainCommand.class, EvalCommand.class, SampleCommand.class, ExportCommand.class, BenchCommand.class,
            ClassifierCommand.class,
            HelpCommand.class})
public final class Main implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    private Main() {
    }

    /** Held so the setting lasts: java.util.logging keeps loggers weakly. */
    private static final java.util.logging.Logger NETLIB = java.util.logging.Logger.getLogger("dev.ludovic.netlib");

    public static void main(String[] args) {
        NETLIB.setLevel(java.util.logging.Level.WARNING); // its INFO line names the BLAS; `info` says it too
        TrainCommand.handleSignals = true;
        System.exit(run(args, System.out, System.err));
    }

    /** {@code jgan} without a command: the usage, on stderr, and exit status 2 (a command is required). */
    @Override
    public Integer call() {
        spec.commandLine().getErr().println("jgan: missing a command (info, train, eval, sample, export, bench, classifier or help)");
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** Where the running command prints (System.out, or the stream a test passed to {@link #run}). */
    static PrintStream out() {
        return STREAMS.get()[0];
    }

    /** Where the running command's warnings and errors go. */
    static PrintStream err() {
        return STREAMS.get()[1];
    }

    private static final ThreadLocal<PrintStream[]> STREAMS = ThreadLocal.withInitial(() -> new PrintStream[] {System.out, System.err});

    /** The whole command line, output to {@code out} and messages to {@code err}; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        PrintStream[] saved = STREAMS.get();
        STREAMS.set(new PrintStream[] {out, err});
        try {
            CommandLine cl = new CommandLine(new Main());
            cl.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
            cl.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
            cl.setDefaultValueProvider(new NetworkOptions.Defaults());
            cl.setParameterExceptionHandler(Main::badParameters);
            cl.setExecutionExceptionHandler((e, c, parsed) -> failed(e, c, err));
            return execute(cl, args, err);
        } finally {
            STREAMS.set(saved);
        }
    }

    /** Runs the parsed command line; an OutOfMemoryError (an Error: picocli lets it through) is said in one line, no stack trace: 1. */
    static int execute(CommandLine cl, String[] args, PrintStream err) {
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            err.println(outOfMemory(cl, args));
            return 1;
        }
    }

    private static String name(CommandLine c) {
        return c.getParent() == null ? "jgan" : "jgan " + c.getCommandName();
    }

    private static int badParameters(ParameterException e, String[] args) {
        CommandLine c = e.getCommandLine();
        PrintWriter err = c.getErr();
        if (c.getParent() == null && e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
                && !u.getUnmatched().get(0).startsWith("-")) {
            err.println("jgan: unknown command '" + u.getUnmatched().get(0) + "'");
            c.usage(err);
            return 2;
        }
        String m = e.getMessage();
        // picocli's own wording, in the user's words
        if (e instanceof CommandLine.OverwrittenOptionException o) {
            String option = o.getOverwritten() instanceof CommandLine.Model.OptionSpec os ? os.longestName() : o.getOverwritten().paramLabel();
            m = option + " is given more than once: give it once";
        } else if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            String option = u.getUnmatched().stream().filter(a -> a.startsWith("-")).findFirst().orElse(null);
            m = option != null ? "unknown option '" + option.replaceFirst("=.*", "") + "'" : "unexpected argument '" + first + "'";
        }
        m = m.replaceFirst("^Unknown subcommand '(.*)'\\.$", "unknown command '$1'");
        m = m.replaceAll("'(-?\\d{10,})' is not an? (long|Long)\\b", "'$1' is out of range: at most " + Long.MAX_VALUE)
                .replaceAll("'(-?\\d{10,})' is not an? (int|Integer)\\b", "'$1' is out of range: at most " + Integer.MAX_VALUE);
        m = m.replaceAll("is not an? (long|int|short|byte|Long|Integer)\\b", "is not an integer")
                .replaceAll("is not an? (float|double|Float|Double)\\b", "is not a number");
        if (e.getCause() instanceof TypeConversionException t && m.contains("Invalid value for option")) {
            // picocli: "Invalid value for option '--init': unknown init 'kaiming': use ..." -> "--init: unknown init ..."
            m = m.replaceFirst("Invalid value for option '([^']+)': (cannot convert '[^']*' to \\S+ \\()?", "$1: ").replaceFirst("\\)$", "");
        }
        err.println(name(c) + ": " + m);
        if (e instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            err.println("did you mean " + String.join(" or ", u.getSuggestions()) + "?");
        }
        err.println("see `" + name(c) + " --help` for the options");
        return 2;
    }

    /** Prints a command's failure in plain words and returns its exit status (package-private for the tests). */
    static int failed(Exception e, CommandLine c, PrintStream err) {
        String who = name(c);
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError) { // rethrown wrapped, e.g. from the loader's thread
                CommandLine root = c;
                while (root.getParent() != null) {
                    root = root.getParent();
                }
                err.println(outOfMemory(root, c.getParent() == null ? new String[0] : new String[] {c.getCommandName()}));
                return 1;
            }
        }
        if (e instanceof FileError f && f.isBadInput()) { // the user's file or folder is the wrong thing: bad input
            err.println(who + ": " + e.getMessage());
            return 2;
        }
        if (e instanceof TrainCommand.Diverged || e instanceof FileError) {
            err.println(who + ": " + e.getMessage());
            return 1;
        }
        if (e instanceof DeviceOutOfMemoryException) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            boolean javaHeap = !m.startsWith("out of memory on ") || m.startsWith("out of memory on cpu");
            if (m.contains("JGAN_JAVA_OPTS")) { // the cpu check's own advice: the options that matter and the heap it needs
                err.println(who + ": " + m);
                return 1;
            }
            err.println(who + ": " + (m.startsWith("out of memory") ? m : "out of memory: " + m) + "; lower --batch or --width (or --depth)"
                    + (javaHeap ? "; on the cpu device the Java heap holds the tensors: raise it with JGAN_JAVA_OPTS=-Xmx8g (or more)"
                    : ""));
            return 1;
        }
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            err.println(who + ": " + e.getMessage());
            return 2;
        }
        if (e instanceof java.io.IOException io) {
            err.println(who + ": " + (io instanceof java.nio.file.FileSystemException f && f.getFile() != null
                    ? "cannot use " + f.getFile() + ": " + FileError.reason(io) : FileError.reason(io)));
            return 1;
        }
        if (e instanceof java.io.UncheckedIOException u) {
            err.println(who + ": " + FileError.reason(u.getCause()));
            return 1;
        }
        err.println(who + ": internal error: " + e); // a bug: the stack trace helps its report
        e.printStackTrace(err);
        return 3;
    }

    /**
     * The message of a command that ran out of Java heap (an OutOfMemoryError anywhere, also in a
     * loader thread whose failure the command rethrows): what to lower and how to raise the heap.
     */
    static String outOfMemory(CommandLine cl, String[] args) {
        String command = args.length > 0 && cl.getSubcommands().containsKey(args[0]) ? args[0] : null;
        String lower = command == null ? "" : switch (command) {
            case "train" -> "lower --batch, --g-width/--d-width or --image-size (images), --width or --depth (mixtures); ";
            case "sample" -> "lower --n; ";
            default -> "";
        };
        return (command == null ? "jgan" : "jgan " + command) + ": out of memory (the Java heap of " + (Runtime.getRuntime().maxMemory() >> 20)
                + " MB is full): " + lower + "or raise the heap with JGAN_JAVA_OPTS=-Xmx8g (or more, if the machine has the memory)";
    }

    /** {@code jgan info}. */
    @Command(name = "info", mixinStandardHelpOptions = true, description = "Devices found, why the GPU is or is not used, the kernels built,"
            + " JCublas, the host runtime.")
    static final class Info implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            info(out());
            return 0;
        }
    }

    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"jgan " + version()};
        }
    }

    /** What this machine offers, in plain words. */
    static void info(PrintStream out) {
        out.println("jgan " + version());
        out.println("java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + "), "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores");

        CudaSupport.Status cuda = CudaSupport.status();
        if (cuda.available()) {
            out.println("GPU: used — " + cuda.deviceCount() + " CUDA device(s), driver " + cuda.driverVersion());
        } else {
            out.println("GPU: not used — " + cuda.reason());
        }

        Optional<Fatbin> fatbin = Fatbin.load();
        if (fatbin.isPresent()) {
            out.printf("GPU kernels: %,d-byte fatbin, %s%n", fatbin.get().size(), fatbin.get().summary());
        } else {
            out.println("GPU kernels: not built (nvcc was missing when this jar was built)");
        }

        out.println("JCublas: " + (cuda.cublasAvailable() ? "loaded" : "not loaded — " + cuda.cublasReason()));

        HostRuntime.Status host = HostRuntime.status();
        if (host.available()) {
            out.println("host runtime: loaded (" + host.source() + ", " + HostRuntime.workerCount() + " worker threads)");
        } else {
            out.println("host runtime: not loaded — " + host.reason());
        }

        out.println("devices:");
        List<String> names = Devices.available();
        if (names.isEmpty()) {
            out.println("  none");
        }
        for (String name : names) {
            try (Device d = Devices.open(name)) {
                out.println("  " + name + ": " + d.description() + ", " + d.kernelNames().size() + " kernels");
            } catch (RuntimeException e) {
                out.println("  " + name + ": cannot be opened — " + e.getMessage());
            }
        }
        out.println("default device (--device auto): " + (cuda.available() ? "cuda:0" : "cpu"));
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
    }
}
