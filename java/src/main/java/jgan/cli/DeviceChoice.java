package jgan.cli;

import java.util.Locale;

import jgan.device.CudaSupport;
import jgan.device.Device;
import jgan.device.Devices;

/** --device for training: auto (the GPU when there is one), gpu, host (the host runtime, for checking kernels). */
final class DeviceChoice {
    private DeviceChoice() {
    }

    static Device open(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "auto" -> CudaSupport.status().available() ? Devices.open("cuda") : Devices.open("host");
            case "gpu", "cuda" -> Devices.open("cuda");
            case "host" -> Devices.open("host");
            default -> throw new IllegalArgumentException("unknown device '" + name + "': use auto, gpu or host");
        };
    }
}
