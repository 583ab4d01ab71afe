package jgan.device;

/**
 * A kernel failed while running: on the host runtime a barrier that not every thread reached,
 * a deadlock, a bad memory access or a mismatched argument list (the message names the kernel,
 * block and thread); on CUDA an error the driver reported for a launch.
 */
public final class KernelException extends RuntimeException {
    public KernelException(String message) {
        super(message);
    }
}
