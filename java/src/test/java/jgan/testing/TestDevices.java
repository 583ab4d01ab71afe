package jgan.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import jgan.device.CudaDevice;
import jgan.device.CudaSupport;
import jgan.device.Device;
import jgan.device.HostDevice;
import jgan.device.HostRuntime;

/**
 * The devices every conformance test runs on: the host runtime and, where there is a GPU,
 * CUDA. Each is opened once per test JVM and shared. A CUDA case on a machine without a GPU is
 * reported as skipped with the reason, so the same suite runs unchanged on a GPU machine.
 * {@code -Djgan.devices=host} limits the run to the host runtime (the sanitizer run does).
 */
public final class TestDevices {
    /** A device as a test parameter: its toString is what appears in test names, [host] / [cuda]. */
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
    private static CudaDevice cuda;

    private TestDevices() {
    }

    /** All device labels this run covers (with a GPU or not: CUDA cases skip themselves). */
    public static Stream<Target> all() {
        List<Target> targets = new ArrayList<>();
        String only = System.getProperty("jgan.devices", "host,cuda");
        for (String label : only.split(",")) {
            targets.add(new Target(label.trim()));
        }
        return targets.stream();
    }

    public static synchronized Device open(String label) {
        switch (label) {
            case "host":
                assumeTrue(HostRuntime.status().available(), () -> "host runtime not loaded: " + HostRuntime.status().reason());
                if (host == null) {
                    host = new HostDevice();
                }
                return host;
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
