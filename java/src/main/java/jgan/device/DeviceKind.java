package jgan.device;

/** What executes a device's kernels. The label is what test names and the CLI print. */
public enum DeviceKind {
    /** An NVIDIA GPU through the CUDA driver API (JCuda). */
    CUDA("cuda"),
    /** The host runtime: the same kernel sources compiled with g++, run on the CPU with CUDA semantics. */
    HOST("host"),
    /** The cpu device: the same ops written in Java (GEMMs through BLAS), fast, for machines without a GPU. */
    CPU("cpu");

    private final String label;

    DeviceKind(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
