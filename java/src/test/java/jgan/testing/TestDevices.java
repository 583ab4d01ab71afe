package jgan.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import jgan.device.CpuDevice;
import jgan.device.CudaDevice;
import jgan.device.CudaSupport;
import jgan.device.Device;
import jgan.device.HostDevice;
import jgan.device.HostRuntime;

/**
 * The devices every conformance test runs on: the host runtime, the cpu device and, where there
 * is a GPU, CUDA. Each is opened once per test JVM and shared. A CUDA case on a machine without a
 * GPU is reported as skipped with the reason, so the same suite runs unchanged on a GPU machine.
 * {@code -Djgan.devices=host} (a comma-separated list of host, cpu, cuda) limits the run (the
 * sanitizer run keeps to the host runtime). Tests of CUDA semantics themselves (warps, shared
 * memory, wmma) take {@link #cudaSemantics()}: the cpu device does not model them.
 */
public final class TestDevices {
    /** A device as a test parameter: its toString is what appears in test names, [host] / [cpu] / [cuda]. */
    public record Target(String label) {
        public Device device() {
            return TestDevices.open(label);
        }

        @Override
        public String toString() {
            return label;
        }
    }

    private static HostDevice host;
    private static CpuDevice cpu;
    private static CudaDevice cuda;
    /** The label of the placeholder target when the selection names no device with CUDA semantics. */
    private static final String NONE = "none";

    private TestDevices() {
    }

    /** All device labels this run covers (with a GPU or not: CUDA cases skip themselves). */
    public static Stream<Target> all() {
        return selected().stream();
    }

    /**
     * The devices that run CUDA C++ with CUDA semantics (host runtime and CUDA) among those
     * selected. When -Djgan.devices leaves none, one placeholder case that skips itself, so that a
     * parameterized test always has an argument.
     */
    public static Stream<Target> cudaSemantics() {
        List<Target> targets = new ArrayList<>(selected());
        targets.removeIf(t -> t.label().equals("cpu"));
        return targets.isEmpty() ? Stream.of(new Target(NONE)) : targets.stream();
    }

    private static List<Target> selected() {
        List<Target> targets = new ArrayList<>();
        String only = System.getProperty("jgan.devices", "host,cpu,cuda");
        for (String label : only.split(",")) {
            if (!label.isBlank()) {
                targets.add(new Target(label.trim()));
            }
        }
        return targets;
    }

    public static synchronized Device open(String label) {
        switch (label) {
            case "host":
                assumeTrue(HostRuntime.status().available(), () -> "host runtime not loaded: " + HostRuntime.status().reason());
                if (host == null) {
                    host = new HostDevice();
                }
                return host;
            case "cpu":
                if (cpu == null) {
                    cpu = new CpuDevice();
                }
                return cpu;
            case NONE:
                org.junit.jupiter.api.Assumptions.abort("-Djgan.devices=" + System.getProperty("jgan.devices")
                        + " selects no device with CUDA semantics (host, cuda)");
                return null;
            case "cuda":
                CudaSupport.Status st = CudaSupport.status();
                assumeTrue(st.available(), () -> "no GPU: " + st.reason());
                assumeTrue(jgan.device.Fatbin.load().isPresent(), "kernels not built: the jar has no fatbin (nvcc missing)");
                if (cuda == null) {
                    cuda = new CudaDevice(0);
                }
                return cuda;
            default:
                throw new IllegalArgumentException("unknown test device " + label);
        }
    }

    public static synchronized HostDevice host() {
        return (HostDevice) open("host");
    }
}
