package jgan.kernels;

import jgan.device.CudaDevice;
import jgan.device.Device;

/**
 * How GEMMs multiply: FP32 on the CUDA cores, or TF32 on tensor cores with FP32 accumulation
 * (the operands keep 10 mantissa bits: about 1e-3 relative per product, as PyTorch's
 * allow_tf32). The codes are kernels/dense.cu's.
 */
public enum MathMode {
    FP32(0), TF32(1);

    final int code;

    MathMode(int code) {
        this.code = code;
    }

    /** TF32 where tensor cores support it (sm_80 and newer), FP32 elsewhere and on the host runtime by default. */
    public static MathMode defaultFor(Device device) {
        if (device instanceof CudaDevice c) {
            return c.computeCapability() >= 80 ? TF32 : FP32;
        }
        return FP32;
    }
}
