package jgan.device;

import java.util.ArrayList;
import java.util.List;

/**
 * Finding and opening devices. {@code cpu} is the ops in Java (fast, no GPU needed); {@code host}
 * the host runtime (the CUDA sources with CUDA semantics, for checking kernels); {@code cuda} (or
 * {@code gpu}, {@code cuda:N}) a GPU; {@code auto} the GPU when there is one, else cpu.
 */
public final class Devices {
    private Devices() {
    }

    /** Opens a device by name; the error says why a GPU cannot be used. */
    public static Device open(String spec) {
        String s = spec.trim().toLowerCase();
        switch (s) {
            case "host":
                return new HostDevice();
            case "cpu":
                return new CpuDevice();
            case "auto":
                return CudaSupport.status().available() ? new CudaDevice(0) : new CpuDevice();
            case "cuda":
            case "gpu":
                return openCuda(0);
            default:
                if (s.startsWith("cuda:")) {
                    try {
                        return openCuda(Integer.parseInt(s.substring(5)));
                    } catch (NumberFormatException e) {
                        // fall through to the error below
                    }
                }
                throw new IllegalArgumentException("unknown device '" + spec + "': use auto, cpu, host, cuda or cuda:N");
        }
    }

    private static Device openCuda(int ordinal) {
        CudaSupport.Status st = CudaSupport.status();
        if (!st.available()) {
            throw new IllegalStateException("no GPU can be used: " + st.reason());
        }
        if (ordinal < 0 || ordinal >= st.deviceCount()) {
            throw new IllegalArgumentException("cuda:" + ordinal + " does not exist: " + st.deviceCount() + " CUDA device(s) found");
        }
        return new CudaDevice(ordinal);
    }

    /** Names of the devices that can be opened here: cpu, then the host runtime, then GPUs. */
    public static List<String> available() {
        List<String> names = new ArrayList<>();
        names.add("cpu");
        if (HostRuntime.status().available()) {
            names.add("host");
        }
        CudaSupport.Status st = CudaSupport.status();
        if (st.available()) {
            for (int i = 0; i < st.deviceCount(); i++) {
                names.add("cuda:" + i);
            }
        }
        return names;
    }
}
