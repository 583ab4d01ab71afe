package jgan.device;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuFuncGetAttribute;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static jcuda.driver.JCudaDriver.cuThreadExchangeStreamCaptureMode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUstream_flags;

/**
 * An NVIDIA GPU driven through the CUDA driver API (JCuda). The kernels come precompiled in one
 * fatbin that the build packs into the jar, so nothing is compiled at run time.
 *
 * <p>Everything goes on one non-blocking stream of this object: work from other libraries on the
 * legacy default stream neither waits for it nor holds it up, and the order of jgan's own work is
 * the order of the calls. Launches, device copies and fills return at once; copies to and from
 * Java arrays wait for the stream, because a Java array may move once the call returns.
 *
 * <p>Java callers may come from several threads, and the current CUDA context is a property of
 * the thread: every public operation therefore makes this device's context current first. The
 * public operations are serialized on the object; raw allocation and freeing are not (the caching
 * allocator calls them under its own lock, and taking the device lock there could deadlock).
 */
public final class CudaDevice extends Device {
    private static final String FATBIN_RESOURCE = "/jgan/kernels.fatbin";
    private static final String KERNEL_LIST_RESOURCE = "/jgan/kernels.txt";
    /** Dynamic shared memory a launch may use without opting in per function. */
    private static final int DEFAULT_DYNAMIC_SHARED_LIMIT = 48 * 1024;
    /** Largest pinned staging buffer for host copies; bigger copies go in chunks of this size. */
    private static final long STAGING_MAX_BYTES = 16L << 20;
    private static final long STAGING_MIN_BYTES = 1L << 20;
    private static final System.Logger LOG = System.getLogger(CudaDevice.class.getName());

    private final int ordinal;
    private final String name;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private final CUmodule module = new CUmodule();
    private final String deviceName;
    private final int ccMajor;
    private final int ccMinor;
    private final int smCount;
    private final int sharedOptIn;
    private final long totalMemory;
    private final String driverVersion;
    private final boolean syncEachLaunch;
    /** Names from the build's kernel list, or null when the jar has none. */
    private final Set<String> listedKernels;
    private final Map<String, Kernel> kernels = new ConcurrentHashMap<>();
    private final Set<String> missingKernels = ConcurrentHashMap.newKeySet();

    /** Pinned host memory that host copies go through (lazily made, grown up to STAGING_MAX_BYTES). */
    private Pointer staging;
    private long stagingBytes;

    private volatile boolean capturing;
    private Thread captureThread;
    private int capturedOps;
    /** Frees asked for during capture, done after it: cuMemFree would synchronize the device. */
    private final List<Long> deferredFrees = Collections.synchronizedList(new ArrayList<>());

    private final Set<CudaGraph> openGraphs = Collections.newSetFromMap(new ConcurrentHashMap<>());
    private final Set<CudaEvent> openEvents = Collections.newSetFromMap(new ConcurrentHashMap<>());
    private final Set<PinnedRing> openRings = Collections.newSetFromMap(new ConcurrentHashMap<>());

    /**
     * Opens GPU {@code ordinal}: retains its primary context (shared with any other CUDA user in
     * the process, such as cuBLAS, so that device pointers are valid across them), creates the
     * stream and loads the kernels.
     *
     * @throws IllegalStateException when CUDA is unavailable (with {@link CudaSupport}'s reason) or
     *                               the jar was built without the fatbin
     */
    public CudaDevice(int ordinal) {
        CudaSupport.Status status = CudaSupport.status();
        if (!status.available()) {
            throw new IllegalStateException("CUDA is not available: " + status.reason());
        }
        if (ordinal < 0 || ordinal >= status.deviceCount()) {
            throw new IllegalArgumentException("no CUDA device cuda:" + ordinal + ": the driver reports "
                    + status.deviceCount() + (status.deviceCount() == 1 ? " device" : " devices"));
        }
        this.ordinal = ordinal;
        this.name = "cuda:" + ordinal;
        byte[] fatbin = readResource(FATBIN_RESOURCE);
        if (fatbin == null) {
            throw new IllegalStateException(
                    "kernels not built: the jar has no /jgan/kernels.fatbin (nvcc was missing when it was built)");
        }
        this.listedKernels = readKernelList();
        this.syncEachLaunch = Boolean.getBoolean("jgan.cuda.sync");

        check(cuDeviceGet(device, ordinal), "cuDeviceGet");
        check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        boolean streamMade = false;
        boolean ok = false;
        try {
            check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            byte[] nameBytes = new byte[256];
            check(cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
            this.deviceName = CudaSupport.cString(nameBytes);
            this.ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
            this.ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
            this.smCount = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
            this.sharedOptIn = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
            long[] mem = {0};
            check(cuDeviceTotalMem(mem, device), "cuDeviceTotalMem");
            this.totalMemory = mem[0];
            int[] v = {0};
            check(cuDriverGetVersion(v), "cuDriverGetVersion");
            this.driverVersion = CudaSupport.cudaVersion(v[0]);

            check(cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
            streamMade = true;
            int rc = cuModuleLoadData(module, fatbin);
            if (rc != CUresult.CUDA_SUCCESS) {
                throw new IllegalStateException("cannot load /jgan/kernels.fatbin on " + name + " (" + deviceName + ", sm_"
                        + ccMajor + ccMinor + "): " + CUresult.stringFor(rc) + moduleHint(rc, fatbin));
            }
            ok = true;
        } finally {
            if (!ok) {
                if (streamMade) {
                    cuStreamDestroy(stream);
                }
                cuCtxSetCurrent(new CUcontext());
                cuDevicePrimaryCtxRelease(device);
            }
        }
    }

    // ---------------------------------------------------------------- identity

    @Override
    public String name() {
        return name;
    }

    @Override
    public DeviceKind kind() {
        return DeviceKind.CUDA;
    }

    @Override
    public String description() {
        return String.format(java.util.Locale.ROOT, "%s (sm_%d%d, %d SMs, %.1f GiB, CUDA driver %s)", deviceName, ccMajor, ccMinor, smCount,
                totalMemory / (double) (1L << 30), driverVersion);
    }

    /** Compute capability as one number, e.g. 90 for sm_90. */
    public int computeCapability() {
        return ccMajor * 10 + ccMinor;
    }

    public int multiprocessorCount() {
        return smCount;
    }

    /** The zero-based CUDA device number. */
    public int ordinal() {
        return ordinal;
    }

    // ---------------------------------------------------------------- kernels

    @Override
    public synchronized boolean hasKernel(String kernel) {
        enter();
        return resolve(kernel) != null;
    }

    /**
     * The driver API cannot list a module's functions, so the names come from the list the build
     * writes beside the fatbin; without it, the names resolved so far.
     */
    @Override
    public Set<String> kernelNames() {
        if (listedKernels != null) {
            return listedKernels;
        }
        return Collections.unmodifiableSet(new TreeSet<>(kernels.keySet()));
    }

    @Override
    public synchronized void launch(String kernel, LaunchConfig config, KernelArgs args) {
        enter();
        Kernel k = resolve(kernel);
        if (k == null) {
            throw new IllegalArgumentException("no kernel '" + kernel + "' in /jgan/kernels.fatbin on " + name);
        }
        int shared = config.sharedBytes();
        if (shared > DEFAULT_DYNAMIC_SHARED_LIMIT && shared > k.dynamicSharedLimit) {
            optInSharedMemory(k, shared, config);
        }
        Dim3 g = config.grid();
        Dim3 b = config.block();
        int rc = cuLaunchKernel(k.function, g.x(), g.y(), g.z(), b.x(), b.y(), b.z(), shared, stream, parameters(args), null);
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new KernelException(launchText(k, config) + " failed: " + CUresult.stringFor(rc) + launchHint(k, config, rc));
        }
        if (capturing) {
            capturedOps++;
        } else if (syncEachLaunch) {
            rc = cuStreamSynchronize(stream);
            if (rc != CUresult.CUDA_SUCCESS) {
                throw new KernelException(launchText(k, config) + " failed while running: " + CUresult.stringFor(rc)
                        + " (found by -Djgan.cuda.sync=true)");
            }
        }
    }

    /**
     * The kernel, resolved once: cuModuleGetFunction, then an attribute query, which under CUDA's
     * lazy module loading makes the driver load the function now rather than at its first launch
     * (which may be inside a graph capture). Null when the fatbin has no such function.
     */
    private Kernel resolve(String kernel) {
        Kernel k = kernels.get(kernel);
        if (k != null || missingKernels.contains(kernel)) {
            return k;
        }
        CUfunction f = new CUfunction();
        int rc = cuModuleGetFunction(f, module, kernel);
        if (rc == CUresult.CUDA_ERROR_NOT_FOUND) {
            missingKernels.add(kernel);
            return null;
        }
        check(rc, "cuModuleGetFunction(" + kernel + ")");
        int[] v = {0};
        check(cuFuncGetAttribute(v, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f),
                "cuFuncGetAttribute(" + kernel + ")");
        int maxThreads = v[0];
        check(cuFuncGetAttribute(v, CUfunction_attribute.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f),
                "cuFuncGetAttribute(" + kernel + ")");
        k = new Kernel(kernel, f, maxThreads, v[0]);
        kernels.put(kernel, k);
        return k;
    }

    /** Launches above 48 KiB of dynamic shared memory must be allowed per function first. */
    private void optInSharedMemory(Kernel k, int shared, LaunchConfig config) {
        int rc = cuFuncSetAttribute(k.function, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, shared);
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new KernelException(launchText(k, config) + ": cannot allow " + shared
                    + " bytes of dynamic shared memory (the kernel has " + k.staticShared
                    + " bytes of static shared memory; the device allows " + sharedOptIn + " bytes per block): "
                    + CUresult.stringFor(rc));
        }
        k.dynamicSharedLimit = shared;
    }

    /**
     * cuLaunchKernel's parameter array: one pointer per argument to a host copy of its value,
     * which the driver copies at launch (and into the graph node during capture), so short-lived
     * arrays suffice. F32 goes as its raw 32 bits, so that every float, NaN payloads included,
     * reaches the kernel exactly as the caller gave it.
     */
    private static Pointer parameters(KernelArgs args) {
        int n = args.count();
        if (n == 0) {
            return null;
        }
        Pointer[] p = new Pointer[n];
        for (int i = 0; i < n; i++) {
            long bits = args.bits(i);
            p[i] = switch (args.kind(i)) {
                case POINTER, I64 -> Pointer.to(new long[] {bits});
                case I32, F32 -> Pointer.to(new int[] {(int) bits});
            };
        }
        return Pointer.to(p);
    }

    private String launchText(Kernel k, LaunchConfig c) {
        return "kernel " + k.name + " on " + name + " (grid " + c.grid() + ", block " + c.block() + ", "
                + c.sharedBytes() + " bytes dynamic shared memory)";
    }

    private String launchHint(Kernel k, LaunchConfig c, int rc) {
        if (c.block().volume() > k.maxThreadsPerBlock) {
            return "; this kernel allows at most " + k.maxThreadsPerBlock + " threads a block (its register use)";
        }
        if (rc == CUresult.CUDA_ERROR_STREAM_CAPTURE_INVALIDATED || rc == CUresult.CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED) {
            return "; the graph capture was broken earlier";
        }
        return "";
    }

    // ---------------------------------------------------------------- copies and fills

    @Override
    public void copyToDevice(float[] src, int srcOffset, DeviceBuffer dst, long dstByteOffset, int count) {
        checkHostRange(src.length, srcOffset, count, "source array");
        toDevice(dst, dstByteOffset, count, (staged, from, n) -> staged.asFloatBuffer().put(src, srcOffset + from, n));
    }

    @Override
    public void copyToDevice(int[] src, int srcOffset, DeviceBuffer dst, long dstByteOffset, int count) {
        checkHostRange(src.length, srcOffset, count, "source array");
        toDevice(dst, dstByteOffset, count, (staged, from, n) -> staged.asIntBuffer().put(src, srcOffset + from, n));
    }

    @Override
    public void copyToHost(DeviceBuffer src, long srcByteOffset, float[] dst, int dstOffset, int count) {
        checkHostRange(dst.length, dstOffset, count, "destination array");
        toHost(src, srcByteOffset, count, (staged, from, n) -> staged.asFloatBuffer().get(dst, dstOffset + from, n));
    }

    @Override
    public void copyToHost(DeviceBuffer src, long srcByteOffset, int[] dst, int dstOffset, int count) {
        checkHostRange(dst.length, dstOffset, count, "destination array");
        toHost(src, srcByteOffset, count, (staged, from, n) -> staged.asIntBuffer().get(dst, dstOffset + from, n));
    }

    /** Moves 32-bit elements between a Java array and the staging buffer. */
    private interface Staged {
        void move(ByteBuffer staged, int fromElement, int elements);
    }

    /**
     * Java array to device through pinned staging memory: JCuda would hand the driver a pointer
     * into the Java heap that is valid only during the call, while an asynchronous copy may still
     * read it afterwards. Ordered after the work already queued on the stream; returns when done.
     */
    private synchronized void toDevice(DeviceBuffer dst, long dstByteOffset, int count, Staged fill) {
        enter();
        checkDeviceRange(dst, dstByteOffset, 4L * count, "destination");
        refuseDuringCapture();
        if (count == 0) {
            return;
        }
        int perChunk = ensureStaging(4L * count);
        for (long done = 0; done < count; done += perChunk) {
            int n = (int) Math.min(perChunk, count - done);
            long bytes = 4L * n;
            fill.move(staging.getByteBuffer(0, bytes), (int) done, n);
            check(cuMemcpyHtoDAsync(at(dst.address() + dstByteOffset + 4L * done), staging, bytes, stream),
                    "cuMemcpyHtoDAsync");
            waitForStream("a copy to the device");
        }
    }

    /** Device to Java array through pinned staging memory; waits for the work queued before it. */
    private synchronized void toHost(DeviceBuffer src, long srcByteOffset, int count, Staged drain) {
        enter();
        checkDeviceRange(src, srcByteOffset, 4L * count, "source");
        refuseDuringCapture();
        if (count == 0) {
            return;
        }
        int perChunk = ensureStaging(4L * count);
        for (long done = 0; done < count; done += perChunk) {
            int n = (int) Math.min(perChunk, count - done);
            long bytes = 4L * n;
            check(cuMemcpyDtoHAsync(staging, at(src.address() + srcByteOffset + 4L * done), bytes, stream),
                    "cuMemcpyDtoHAsync");
            waitForStream("a copy to the host");
            drain.move(staging.getByteBuffer(0, bytes), (int) done, n);
        }
    }

    /** Makes the staging buffer hold {@code bytes} (up to its cap); returns the elements a chunk holds. */
    private int ensureStaging(long bytes) {
        long want = Math.min(STAGING_MAX_BYTES, Math.max(STAGING_MIN_BYTES, Long.highestOneBit(bytes - 1) << 1));
        if (staging == null || stagingBytes < want) {
            if (staging != null) {
                check(cuMemFreeHost(staging), "cuMemFreeHost");
                staging = null;
                stagingBytes = 0;
            }
            Pointer p = new Pointer();
            check(cuMemAllocHost(p, want), "cuMemAllocHost(" + want + " bytes of pinned memory)");
            staging = p;
            stagingBytes = want;
        }
        return (int) (stagingBytes / 4);
    }

    /**
     * A ring of pinned host buffers ({@code cuMemAllocHost}), each with an event
     * ({@code CU_EVENT_DISABLE_TIMING}) recorded after its asynchronous copy: {@link UploadRing#next()}
     * waits for that event only, so the host fills one slot while the device copies from others and
     * runs the steps queued between them.
     */
    @Override
    public synchronized UploadRing uploadRing(int floats, int slots) {
        enter();
        UploadRing.Synchronous.check(floats, slots);
        PinnedRing r = new PinnedRing(floats, slots);
        openRings.add(r);
        return r;
    }

    private final class PinnedRing implements UploadRing {
        private final int floats;
        private final Pointer[] host;
        private final FloatBuffer[] views;
        private final CUevent[] done;
        private final boolean[] inFlight;
        private int current = -1;
        private int filled = -1;
        private boolean closed;

        PinnedRing(int floats, int slots) {
            this.floats = floats;
            this.host = new Pointer[slots];
            this.views = new FloatBuffer[slots];
            this.done = new CUevent[slots];
            this.inFlight = new boolean[slots];
            boolean ok = false;
            try {
                for (int i = 0; i < slots; i++) {
                    Pointer p = new Pointer();
                    check(cuMemAllocHost(p, 4L * floats), "cuMemAllocHost(" + 4L * floats + " bytes of pinned memory)");
                    host[i] = p;
                    views[i] = p.getByteBuffer(0, 4L * floats).order(ByteOrder.nativeOrder()).asFloatBuffer();
                    CUevent e = new CUevent();
                    check(cuEventCreate(e, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
                    done[i] = e;
                }
                ok = true;
            } finally {
                if (!ok) {
                    free();
                }
            }
        }

        @Override
        public int floats() {
            return floats;
        }

        @Override
        public int slots() {
            return host.length;
        }

        @Override
        public FloatBuffer next() {
            synchronized (CudaDevice.this) {
                enter();
                checkRingOpen();
                current = (current + 1) % host.length;
                if (inFlight[current]) {
                    int rc = cuEventSynchronize(done[current]);
                    if (rc != CUresult.CUDA_SUCCESS) {
                        throw new KernelException("work on " + name + " failed (reported while waiting for an upload): "
                                + CUresult.stringFor(rc));
                    }
                    inFlight[current] = false;
                }
                filled = current;
                FloatBuffer v = views[current];
                v.clear();
                return v;
            }
        }

        @Override
        public void upload(DeviceBuffer dst, long dstByteOffset) {
            synchronized (CudaDevice.this) {
                enter();
                checkRingOpen();
                if (filled < 0) {
                    throw new IllegalStateException("upload without a slot: call next() and fill it first");
                }
                if (capturing) {
                    throw new IllegalStateException("an upload is never captured into a graph on " + name + ": queue it before the replay");
                }
                checkDeviceRange(dst, dstByteOffset, 4L * floats, "destination");
                check(cuMemcpyHtoDAsync(at(dst.address() + dstByteOffset), host[filled], 4L * floats, stream), "cuMemcpyHtoDAsync");
                check(cuEventRecord(done[filled], stream), "cuEventRecord");
                inFlight[filled] = true;
                filled = -1;
                if (syncEachLaunch) {
                    waitForStream("an upload (-Djgan.cuda.sync=true)");
                }
            }
        }

        private void checkRingOpen() {
            if (closed) {
                throw new IllegalStateException("upload ring on " + name + " was already closed");
            }
        }

        @Override
        public void close() {
            synchronized (CudaDevice.this) {
                if (closed) {
                    return;
                }
                openRings.remove(this);
                if (!isClosed()) {
                    makeCurrent();
                    free();
                }
                closed = true;
            }
        }

        /** Waits for the copies in flight (the driver would otherwise read freed memory), then frees; best effort. */
        void free() {
            for (int i = 0; i < host.length; i++) {
                if (done[i] != null) {
                    if (inFlight[i]) {
                        release(cuEventSynchronize(done[i]), "cuEventSynchronize");
                        inFlight[i] = false;
                    }
                    release(cuEventDestroy(done[i]), "cuEventDestroy");
                    done[i] = null;
                }
                if (host[i] != null) {
                    release(cuMemFreeHost(host[i]), "cuMemFreeHost");
                    host[i] = null;
                }
            }
            closed = true;
        }
    }

    @Override
    public synchronized void copy(DeviceBuffer src, long srcByteOffset, DeviceBuffer dst, long dstByteOffset, long bytes) {
        enter();
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot copy " + bytes + " bytes on " + name);
        }
        checkDeviceRange(src, srcByteOffset, bytes, "source");
        checkDeviceRange(dst, dstByteOffset, bytes, "destination");
        if (bytes == 0) {
            return;
        }
        check(cuMemcpyDtoDAsync(at(dst.address() + dstByteOffset), at(src.address() + srcByteOffset), bytes, stream),
                "cuMemcpyDtoDAsync");
        if (capturing) {
            capturedOps++;
        }
    }

    @Override
    public synchronized void fill32(DeviceBuffer dst, long byteOffset, long count, int bits) {
        enter();
        if (count < 0 || count > Long.MAX_VALUE / 4) {
            throw new IllegalArgumentException("cannot fill " + count + " words on " + name);
        }
        if (byteOffset % 4 != 0) {
            throw new IllegalArgumentException("fill32 offset " + byteOffset + " is not a multiple of 4 on " + name);
        }
        checkDeviceRange(dst, byteOffset, 4 * count, "destination");
        if (count == 0) {
            return;
        }
        check(cuMemsetD32Async(at(dst.address() + byteOffset), bits, count, stream), "cuMemsetD32Async");
        if (capturing) {
            capturedOps++;
        }
    }

    private void checkHostRange(int length, int offset, int count, String what) {
        if (offset < 0 || count < 0 || (long) offset + count > length) {
            throw new IllegalArgumentException(what + " of " + length + " elements has no room for " + count
                    + " elements at offset " + offset + " (copy on " + name + ")");
        }
    }

    private void checkDeviceRange(DeviceBuffer buffer, long byteOffset, long bytes, String what) {
        if (buffer.device() != this) {
            throw new IllegalArgumentException(what + " buffer belongs to " + buffer.device().name() + ", not " + name);
        }
        if (byteOffset < 0 || bytes < 0 || byteOffset > buffer.bytes() || bytes > buffer.bytes() - byteOffset) {
            throw new IllegalArgumentException(what + " buffer of " + buffer.bytes() + " bytes has no room for " + bytes
                    + " bytes at offset " + byteOffset + " (on " + name + ")");
        }
    }

    private void refuseDuringCapture() {
        if (capturing) {
            throw new IllegalStateException("copy between host and device during graph capture on " + name);
        }
    }

    // ---------------------------------------------------------------- synchronization and timing

    @Override
    public synchronized void synchronize() {
        enter();
        if (capturing) {
            throw new IllegalStateException("cannot synchronize " + name + " during graph capture");
        }
        waitForStream("synchronize");
    }

    /** Waits for the stream; a failure there is a failure of some kernel queued earlier. */
    private void waitForStream(String during) {
        int rc = cuStreamSynchronize(stream);
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new KernelException("work on " + name + " failed (reported during " + during + "): "
                    + CUresult.stringFor(rc) + " (run with -Djgan.cuda.sync=true to find the kernel)");
        }
    }

    @Override
    public synchronized DeviceEvent recordEvent() {
        enter();
        if (capturing) {
            throw new IllegalStateException("cannot record a timing event during graph capture on " + name);
        }
        CUevent e = new CUevent();
        check(cuEventCreate(e, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
        int rc = cuEventRecord(e, stream);
        if (rc != CUresult.CUDA_SUCCESS) {
            cuEventDestroy(e);
            check(rc, "cuEventRecord");
        }
        CudaEvent event = new CudaEvent(this, e);
        openEvents.add(event);
        return event;
    }

    @Override
    public synchronized float elapsedMillis(DeviceEvent start, DeviceEvent end) {
        enter();
        CUevent s = own(start, "start").event;
        CUevent e = own(end, "end").event;
        int rc = cuEventSynchronize(e);
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new KernelException("work on " + name + " failed (reported while waiting for an event): "
                    + CUresult.stringFor(rc));
        }
        float[] ms = {0f};
        check(cuEventElapsedTime(ms, s, e), "cuEventElapsedTime");
        return ms[0];
    }

    private CudaEvent own(DeviceEvent event, String which) {
        if (!(event instanceof CudaEvent ce) || ce.owner != this) {
            throw new IllegalArgumentException(which + " event was not recorded on " + name);
        }
        if (ce.closed) {
            throw new IllegalStateException(which + " event on " + name + " was already closed");
        }
        return ce;
    }

    private synchronized void destroyEvent(CudaEvent event) {
        if (event.closed) {
            return;
        }
        event.closed = true;
        openEvents.remove(event);
        if (!isClosed()) {
            makeCurrent();
            release(cuEventDestroy(event.event), "cuEventDestroy");
        }
    }

    // ---------------------------------------------------------------- graphs

    /**
     * Thread-local capture mode: only calls from the capturing thread that CUDA considers unsafe
     * during capture break it, so other threads may go on using CUDA elsewhere. It also means that
     * the capture must end on the thread that began it.
     */
    @Override
    public synchronized void beginCapture() {
        enter();
        if (capturing) {
            throw new IllegalStateException("graph capture is already in progress on " + name);
        }
        check(cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL), "cuStreamBeginCapture");
        capturing = true;
        captureThread = Thread.currentThread();
        capturedOps = 0;
    }

    @Override
    public synchronized Graph endCapture() {
        enter();
        if (!capturing) {
            throw new IllegalStateException("no graph capture in progress on " + name);
        }
        if (captureThread != Thread.currentThread()) {
            throw new IllegalStateException("graph capture on " + name + " began on thread " + captureThread.getName()
                    + " and must end there, not on " + Thread.currentThread().getName());
        }
        CUgraph graph = new CUgraph();
        int rc = cuStreamEndCapture(stream, graph);
        int ops = capturedOps;
        capturing = false;
        captureThread = null;
        capturedOps = 0;
        freeDeferred();
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new KernelException("graph capture on " + name + " failed: " + CUresult.stringFor(rc)
                    + (rc == CUresult.CUDA_ERROR_STREAM_CAPTURE_INVALIDATED
                    ? " (an operation not allowed during capture, or a failed launch, broke it)" : ""));
        }
        CUgraphExec exec = new CUgraphExec();
        rc = cuGraphInstantiate(exec, graph, 0L);
        if (rc != CUresult.CUDA_SUCCESS) {
            release(cuGraphDestroy(graph), "cuGraphDestroy");
            throw new KernelException("cannot instantiate the graph captured on " + name + " (" + ops + " operations): "
                    + CUresult.stringFor(rc));
        }
        CudaGraph g = new CudaGraph(this, graph, exec, ops);
        openGraphs.add(g);
        return g;
    }

    @Override
    public boolean isCapturing() {
        return capturing;
    }

    private synchronized void replay(CudaGraph g) {
        enter();
        if (g.closed) {
            throw new IllegalStateException("graph on " + name + " was already closed");
        }
        int rc = cuGraphLaunch(g.exec, stream);
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new KernelException("replay of a graph of " + g.size + " operations on " + name + " failed: "
                    + CUresult.stringFor(rc));
        }
        if (capturing) {
            capturedOps++;
        } else if (syncEachLaunch) {
            waitForStream("a graph replay (-Djgan.cuda.sync=true)");
        }
    }

    private synchronized void destroyGraph(CudaGraph g) {
        if (g.closed) {
            return;
        }
        g.closed = true;
        openGraphs.remove(g);
        if (!isClosed()) {
            makeCurrent();
            // An executable graph still running is freed by the driver when it completes.
            release(cuGraphExecDestroy(g.exec), "cuGraphExecDestroy");
            release(cuGraphDestroy(g.graph), "cuGraphDestroy");
        }
    }

    // ---------------------------------------------------------------- memory

    /**
     * During a capture the allocation is done in relaxed capture mode: cuMemAlloc is not part of
     * the graph (the graph only records the address), but CUDA counts it among the calls that may
     * break a capture in stricter modes.
     */
    @Override
    protected long rawAllocate(long bytes) {
        makeCurrent();
        DevicePointer p = new DevicePointer();
        int rc;
        if (capturing) {
            int[] mode = {CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED};
            check(cuThreadExchangeStreamCaptureMode(mode), "cuThreadExchangeStreamCaptureMode");
            try {
                rc = cuMemAlloc(p, bytes);
            } finally {
                check(cuThreadExchangeStreamCaptureMode(mode), "cuThreadExchangeStreamCaptureMode");
            }
        } else {
            rc = cuMemAlloc(p, bytes);
        }
        if (rc == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            return 0;
        }
        if (rc != CUresult.CUDA_SUCCESS) {
            throw failure(rc, "cuMemAlloc(" + bytes + " bytes)");
        }
        return p.address();
    }

    /**
     * Deferred during a capture (cuMemFree synchronizes the device, which would break it).
     * A failure is logged, not thrown: it only leaks the block, and throwing from here would leave
     * the caching allocator's bookkeeping half done, or hide the error that closed the device.
     */
    @Override
    protected void rawFree(long address) {
        if (isClosed()) {
            return; // the context went, and with it every block
        }
        if (capturing) {
            deferredFrees.add(address);
            return;
        }
        makeCurrent();
        release(cuMemFree(at(address)), "cuMemFree");
    }

    private void freeDeferred() {
        List<Long> frees;
        synchronized (deferredFrees) {
            frees = new ArrayList<>(deferredFrees);
            deferredFrees.clear();
        }
        for (long address : frees) {
            release(cuMemFree(at(address)), "cuMemFree");
        }
    }

    /** CUDA's allocations are aligned to at least 256 bytes; 512 keeps the cache's size classes few. */
    @Override
    protected long allocationGranularity() {
        return 512;
    }

    /**
     * Releases what this object holds, best effort: it runs after the device may have failed (a
     * sticky kernel error makes every later call fail too), so failures are logged, not thrown.
     */
    @Override
    protected void closeDevice() {
        makeCurrent();
        if (capturing) {
            // Closed in the middle of a capture: end it so that the stream can be destroyed.
            CUgraph abandoned = new CUgraph();
            if (cuStreamEndCapture(stream, abandoned) == CUresult.CUDA_SUCCESS) {
                release(cuGraphDestroy(abandoned), "cuGraphDestroy");
            }
            capturing = false;
        }
        for (CudaGraph g : new ArrayList<>(openGraphs)) {
            g.closed = true;
            release(cuGraphExecDestroy(g.exec), "cuGraphExecDestroy");
            release(cuGraphDestroy(g.graph), "cuGraphDestroy");
        }
        openGraphs.clear();
        for (CudaEvent e : new ArrayList<>(openEvents)) {
            e.closed = true;
            release(cuEventDestroy(e.event), "cuEventDestroy");
        }
        openEvents.clear();
        for (PinnedRing r : new ArrayList<>(openRings)) {
            r.free();
        }
        openRings.clear();
        freeDeferred();
        if (staging != null) {
            release(cuMemFreeHost(staging), "cuMemFreeHost");
            staging = null;
        }
        release(cuModuleUnload(module), "cuModuleUnload");
        release(cuStreamDestroy(stream), "cuStreamDestroy");
        // Leave no released context current on this thread for whatever runs on it next.
        release(cuCtxSetCurrent(new CUcontext()), "cuCtxSetCurrent(none)");
        // The last release of the primary context destroys it, and with it any buffer still open.
        release(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
    }

    // ---------------------------------------------------------------- helpers

    /** Every public operation starts here: refuse a closed device, then use its context on this thread. */
    private void enter() {
        checkOpen();
        makeCurrent();
    }

    private void makeCurrent() {
        check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    private int attribute(int attribute) {
        int[] v = {0};
        check(cuDeviceGetAttribute(v, attribute, device), "cuDeviceGetAttribute(" + attribute + ")");
        return v[0];
    }

    /** Throws for a failed driver call (see {@link #failure}). */
    private void check(int rc, String call) {
        if (rc != CUresult.CUDA_SUCCESS) {
            throw failure(rc, call);
        }
    }

    /**
     * The exception for a failed driver call. Errors that a kernel leaves behind (a bad address,
     * a trap) are sticky: any later call may return them, so they become KernelExceptions whatever
     * call saw them; everything else is a misuse or an environment problem.
     */
    private RuntimeException failure(int rc, String call) {
        String text = call + " on " + name + " failed: " + CUresult.stringFor(rc);
        if (isKernelFault(rc)) {
            return new KernelException(text + " (an earlier kernel failed; run with -Djgan.cuda.sync=true to find it)");
        }
        return new IllegalStateException(text);
    }

    private static boolean isKernelFault(int rc) {
        return rc == CUresult.CUDA_ERROR_ILLEGAL_ADDRESS || rc == CUresult.CUDA_ERROR_LAUNCH_FAILED
                || rc == CUresult.CUDA_ERROR_ASSERT || rc == CUresult.CUDA_ERROR_HARDWARE_STACK_ERROR
                || rc == CUresult.CUDA_ERROR_ILLEGAL_INSTRUCTION || rc == CUresult.CUDA_ERROR_MISALIGNED_ADDRESS
                || rc == CUresult.CUDA_ERROR_INVALID_ADDRESS_SPACE || rc == CUresult.CUDA_ERROR_INVALID_PC
                || rc == CUresult.CUDA_ERROR_LAUNCH_TIMEOUT;
    }

    /** For clean-up calls, whose failure must not hide the error being handled. */
    private void release(int rc, String call) {
        if (rc != CUresult.CUDA_SUCCESS) {
            LOG.log(System.Logger.Level.WARNING, call + " on " + name + " failed: " + CUresult.stringFor(rc));
        }
    }

    private String moduleHint(int rc, byte[] fatbin) {
        boolean magic = fatbin.length >= 4 && (fatbin[0] & 0xff) == 0x50 && (fatbin[1] & 0xff) == 0xed
                && (fatbin[2] & 0xff) == 0x55 && (fatbin[3] & 0xff) == 0xba;
        if (!magic) {
            return " (the resource does not start with the fatbin magic 0xBA55ED50)";
        }
        if (rc == CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU) {
            return " (the fatbin has no code for sm_" + ccMajor + ccMinor + " and no PTX this driver can compile)";
        }
        if (rc == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
            return " (the fatbin's PTX is newer than this driver, which supports CUDA " + driverVersion + ")";
        }
        return "";
    }

    /** A device address as JCuda wants it: a null CUdeviceptr plus the address as byte offset. */
    private static CUdeviceptr at(long address) {
        return new CUdeviceptr().withByteOffset(address);
    }

    private static byte[] readResource(String path) {
        try (InputStream in = CudaDevice.class.getResourceAsStream(path)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path + " from the class path: " + e.getMessage(), e);
        }
    }

    /** The build's list of extern "C" kernels: one name a line; blank lines and # comments skipped. */
    private static Set<String> readKernelList() {
        try (InputStream in = CudaDevice.class.getResourceAsStream(KERNEL_LIST_RESOURCE)) {
            if (in == null) {
                return null;
            }
            Set<String> names = new LinkedHashSet<>();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                String s = line.trim();
                if (!s.isEmpty() && !s.startsWith("#")) {
                    names.add(s);
                }
            }
            return Collections.unmodifiableSet(new TreeSet<>(names));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + KERNEL_LIST_RESOURCE + " from the class path: " + e.getMessage(), e);
        }
    }

    /** A CUdeviceptr whose value cuMemAlloc fills in and that we can read back as a number. */
    private static final class DevicePointer extends CUdeviceptr {
        long address() {
            return getNativePointer() + getByteOffset();
        }
    }

    /** A resolved kernel and what the driver says about it. */
    private static final class Kernel {
        final String name;
        final CUfunction function;
        final int maxThreadsPerBlock;
        final int staticShared;
        /** Dynamic shared memory this function is allowed so far (raised on demand, never lowered). */
        int dynamicSharedLimit = DEFAULT_DYNAMIC_SHARED_LIMIT;

        Kernel(String name, CUfunction function, int maxThreadsPerBlock, int staticShared) {
            this.name = name;
            this.function = function;
            this.maxThreadsPerBlock = maxThreadsPerBlock;
            this.staticShared = staticShared;
        }
    }

    /** A CUDA graph instantiated once and launched as a whole on the device's stream. */
    private static final class CudaGraph implements Graph {
        final CudaDevice owner;
        final CUgraph graph;
        final CUgraphExec exec;
        /** Operations recorded during capture (each launch, copy, fill or nested replay is one node). */
        final int size;
        volatile boolean closed;

        CudaGraph(CudaDevice owner, CUgraph graph, CUgraphExec exec, int size) {
            this.owner = owner;
            this.graph = graph;
            this.exec = exec;
            this.size = size;
        }

        @Override
        public void replay() {
            owner.replay(this);
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public void close() {
            owner.destroyGraph(this);
        }
    }

    private static final class CudaEvent implements DeviceEvent {
        final CudaDevice owner;
        final CUevent event;
        volatile boolean closed;

        CudaEvent(CudaDevice owner, CUevent event) {
            this.owner = owner;
            this.event = event;
        }

        @Override
        public void close() {
            owner.destroyEvent(this);
        }
    }
}
