package jgan.device;

/**
 * A recorded sequence of device work, replayed as a whole: a CUDA graph on CudaDevice, the
 * recorded launches on HostDevice. Replaying runs the same kernels on the same buffers with the
 * same scalar arguments as when it was captured, so the buffers must stay open.
 */
public interface Graph extends AutoCloseable {
    /** Enqueues one replay of the whole graph on the device's stream. */
    void replay();

    /** How many operations (launches, copies, fills) it holds. */
    int size();

    @Override
    void close();
}
