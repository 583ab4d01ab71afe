package jgan.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import jgan.device.CudaSupport;
import jgan.device.Device;
import jgan.device.DeviceOutOfMemoryException;
import jgan.device.Devices;
import jgan.device.Fatbin;
import jgan.device.HostRuntime;
import jgan.io.FileError;

/** The command line: {@code jgan info}. */
public final class Main {
    private Main() {
    }

    /** Held so the setting lasts: java.util.logging keeps loggers weakly. */
    private static final java.util.logging.Logger NETLIB = java.util.logging.Logger.getLogger("dev.ludovic.netlib");

    public static void main(String[] args) {
        NETLIB.setLevel(java.util.logging.Level.WARNING); // its INFO line names the BLAS; `info` says it too
        TrainCommand.handleSignals = true;
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        String command = args.length == 0 ? "help" : args[0];
        List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
        try {
            switch (command) {
                case "info":
                    if (!rest.isEmpty()) {
                        throw new IllegalArgumentException("info takes no options, got " + rest);
                    }
                    info(out);
                    return 0;
                case "train":
                    return TrainCommand.run(rest, out, err);
                case "eval":
                    return EvalCommand.run(rest, out, err);
                case "bench":
                    return BenchCommand.run(rest, out);
                case "help":
                case "--help":
                case "-h":
                    usage(out);
                    return 0;
                default:
                    err.println("jgan: unknown command '" + command + "'");
                    usage(err);
                    return 2;
            }
        } catch (NumberFormatException e) {
            err.println("jgan " + command + ": not a number: " + e.getMessage());
            return 2;
        } catch (TrainCommand.Diverged e) {
            err.println("jgan " + command + ": " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("jgan " + command + ": " + e.getMessage());
            return 2;
        } catch (FileError e) {
            err.println("jgan " + command + ": " + e.getMessage());
            return 1;
        } catch (java.io.IOException e) {
            err.println("jgan " + command + ": " + (e instanceof java.nio.file.FileSystemException f && f.getFile() != null
                    ? "cannot use " + f.getFile() + ": " + FileError.reason(e) : FileError.reason(e)));
            return 1;
        } catch (java.io.UncheckedIOException e) {
            err.println("jgan " + command + ": " + FileError.reason(e.getCause()));
            return 1;
        } catch (DeviceOutOfMemoryException | OutOfMemoryError e) {
            err.println("jgan " + command + ": out of memory (" + e.getMessage() + "): lower --batch or --width (or --depth);"
                    + " on the cpu and host devices the Java heap holds the tensors: raise it with JGAN_JAVA_OPTS=-Xmx8g");
            return 1;
        }
    }

    static void usage(PrintStream out) {
        out.println("usage: jgan <command> [options]");
        out.println("  info                          devices found, why the GPU is or is not used, the kernels built, JCublas");
        out.println("  train --data ring8|grid25 --out RUN [--loss nonsaturating|minimax|wasserstein|hinge|lsgan]");
        out.println("        [--steps N] [--batch N] [--lr X] [--seed N] [--device auto|gpu|cpu|host] [--force]");
        out.println("        [--width N] [--depth N] [--latent N] [--activation relu|leakyrelu|tanh] [--n-critic N]");
        out.println("        [--clip X] [--label-smoothing X] [--tf32 true|false] [--log-every N] [--checkpoint-every N]");
        out.println("  train --resume RUN [--steps N] continue a run where its checkpoint left it");
        out.println("  eval --run RUN                modes captured, high-quality samples, reverse KL of RUN/samples.csv");
        out.println("  bench [--device D] [--steps N] [train options]  steps/s of the fused step, graph replay vs plain");
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
