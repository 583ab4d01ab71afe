package jgan.cli;

import java.util.Locale;

import jgan.device.CudaSupport;
import jgan.device.Device;
import jgan.device.Devices;

/** --device for training: auto (the GPU when there is one, else cpu), gpu, cpu, host (the host runtime, for checking kernels). */
final class DeviceChoice {
    private DeviceChoice() {
    }

    static Device open(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "auto" -> CudaSupport.status().available() ? Devices.open("cuda") : Devices.open("cpu");
            case "gpu", "cuda" -> Devices.open("cuda");
            case "cpu" -> Devices.open("cpu");
            case "host" -> Devices.open("host");
            default -> throw new IllegalArgumentException("unknown device '" + name + "': use auto, gpu, cpu or host");
        };
    }
}
