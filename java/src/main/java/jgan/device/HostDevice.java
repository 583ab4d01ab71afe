package jgan.device;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The host runtime as a device: the same kernels as on the GPU, compiled for the CPU and run
 * with CUDA semantics, checked as they run (see native/src/runtime.cpp). Work runs to completion
 * in each call, so {@link #synchronize()} has nothing to wait for. Graph capture records the
 * launches, copies and fills and replays them in order, as a CUDA graph would.
 */
public final class HostDevice extends SynchronousDevice {
    private final Map<String, Long> handles = new ConcurrentHashMap<>();

    public HostDevice() {
        HostRuntime.requireAvailable();
    }

    @Override
    public String name() {
        return "host";
    }

    @Override
    public DeviceKind kind() {
        return DeviceKind.HOST;
    }

    @Override
    public String description() {
        return "host runtime (" + HostRuntime.workerCount() + " worker threads, " + HostRuntime.status().source() + ")";
    }

    @Override
    public boolean hasKernel(String kernel) {
        return handle(kernel) != 0;
    }

    @Override
    public Set<String> kernelNames() {
        return new LinkedHashSet<>(Arrays.asList(HostRuntime.kernelNames()));
    }

    /** The kind codes of a kernel's real C++ signature ("ppif"), as the runtime checks launches against. */
    public String kernelSignature(String kernel) {
        return HostRuntime.kernelSignature(requireHandle(kernel));
    }

    private long handle(String kernel) {
        return handles.computeIfAbsent(kernel, HostRuntime::kernelHandle);
    }

    private long requireHandle(String kernel) {
        long h = handle(kernel);
        if (h == 0) {
            throw new IllegalArgumentException("the host runtime has no kernel '" + kernel + "'");
        }
        return h;
    }

    @Override
    public void launch(String kernel, LaunchConfig config, KernelArgs args) {
        checkOpen();
        long h = requireHandle(kernel);
        long[] bits = args.bitsArray();
        String kinds = args.kindCodes();
        Dim3 g = config.grid(), b = config.block();
        Runnable op = () -> HostRuntime.launch(h, g.x(), g.y(), g.z(), b.x(), b.y(), b.z(), config.sharedBytes(), bits, kinds);
        run(op);
    }

    /** Checks a copy between a Java array and a device buffer; returns the device address. */
    private long hostCopy(String what, int arrayLength, int arrayOffset, int count, DeviceBuffer buffer, long byteOffset) {
        checkOpen();
        refuseDuringCapture(what);
        checkArray(arrayLength, arrayOffset, count, what);
        checkRange(buffer, byteOffset, 4L * count, what);
        return buffer.address() + byteOffset;
    }

    @Override
    public void copyToDevice(float[] src, int srcOffset, DeviceBuffer dst, long dstByteOffset, int count) {
        long to = hostCopy("copy from host to device", src.length, srcOffset, count, dst, dstByteOffset);
        HostRuntime.copyFloatsIn(src, srcOffset, to, count);
    }

    @Override
    public void copyToHost(DeviceBuffer src, long srcByteOffset, float[] dst, int dstOffset, int count) {
        long from = hostCopy("copy from device to host", dst.length, dstOffset, count, src, srcByteOffset);
        HostRuntime.copyFloatsOut(from, dst, dstOffset, count);
    }

    @Override
    public void copyToDevice(int[] src, int srcOffset, DeviceBuffer dst, long dstByteOffset, int count) {
        long to = hostCopy("copy from host to device", src.length, srcOffset, count, dst, dstByteOffset);
        HostRuntime.copyIntsIn(src, srcOffset, to, count);
    }

    @Override
    public void copyToHost(DeviceBuffer src, long srcByteOffset, int[] dst, int dstOffset, int count) {
        long from = hostCopy("copy from device to host", dst.length, dstOffset, count, src, srcByteOffset);
        HostRuntime.copyIntsOut(from, dst, dstOffset, count);
    }

    @Override
    public void copy(DeviceBuffer src, long srcByteOffset, DeviceBuffer dst, long dstByteOffset, long bytes) {
        checkOpen();
        checkRange(src, srcByteOffset, bytes, "device copy source");
        checkRange(dst, dstByteOffset, bytes, "device copy destination");
        long from = src.address() + srcByteOffset, to = dst.address() + dstByteOffset;
        run(() -> HostRuntime.copy(from, to, bytes));
    }

    @Override
    public void fill32(DeviceBuffer dst, long byteOffset, long count, int bits) {
        checkOpen();
        checkRange(dst, byteOffset, 4 * count, "fill");
        long to = dst.address() + byteOffset;
        run(() -> HostRuntime.fill32(to, count, bits));
    }







    @Override
    protected long rawAllocate(long bytes) {
        return HostRuntime.allocate(bytes);
    }

    @Override
    protected void rawFree(long address) {
        HostRuntime.free(address);
    }

    @Override
    protected long allocationGranularity() {
        return 1; // exact sizes: each buffer ends right before its guard page
    }

    @Override
    protected void closeDevice() {
        clearCapture();
    }
}
