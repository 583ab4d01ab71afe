package jgan.kernels;

import jgan.device.DeviceMemory;
import jgan.device.Dim3;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;

/**
 * Step counters kept on the device (kernels/counters.cu), advanced by a launch so that a
 * replayed CUDA graph sees a new value every step: the RNG offset, an optimizer's step count.
 */
public final class Counters {
    public static final String ADD_I32 = "counter_add_i32";
    public static final String ADD_I64 = "counter_add_i64";
    private static final LaunchConfig ONE_THREAD = new LaunchConfig(Dim3.of(1), Dim3.of(1), 0);

    private Counters() {
    }

    /** {@code *(int32*) counter += delta} on the device. */
    public static void addI32(DeviceMemory counter, int delta) {
        if (counter.byteLength() < 4) {
            throw new IllegalArgumentException(ADD_I32 + ": the counter needs 4 bytes, has " + counter.byteLength());
        }
        counter.device().launch(ADD_I32, ONE_THREAD, new KernelArgs().ptr(counter).i32(delta));
    }

    /** {@code *(int64*) counter += delta} on the device. */
    public static void addI64(DeviceMemory counter, long delta) {
        if (counter.byteLength() < 8) {
            throw new IllegalArgumentException(ADD_I64 + ": the counter needs 8 bytes, has " + counter.byteLength());
        }
        counter.device().launch(ADD_I64, ONE_THREAD, new KernelArgs().ptr(counter).i64(delta));
    }
}
