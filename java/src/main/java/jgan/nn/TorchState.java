package jgan.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jgan.tensor.HostTensor;
import jgan.tensor.Shape;

/**
 * The mapping between a {@link Sequential} and the state_dict of the equivalent PyTorch
 * {@code nn.Sequential} held as {@code self.main}. Every float entry is a permutation of a
 * contiguous slice of the network's parameter or state buffer: {@code torch[perm[j]] =
 * flat[offset + j]}. The permutations: KRSC to OIHW (Conv2d), [in, kh, kw, out] to
 * [in, out, kh, kw] (ConvTranspose2d), and for a dense layer or 1-d batch norm whose features are
 * an image flattened in jgan's (h, w, c) order, to PyTorch's (c, h, w) order.
 */
final class TorchState {
    private TorchState() {
    }

    enum Source { PARAMS, BUFFERS, COUNTER }

    /** One state_dict entry: its key, PyTorch shape, where it lives and how it is permuted (null: identity). */
    record Entry(String key, long[] shape, Source source, long offset, int[] perm) {
        HostTensor.DType dtype() {
            return source == Source.COUNTER ? HostTensor.DType.I64 : HostTensor.DType.F32;
        }
    }

    /** (h, w, c) index -> (c, h, w) index for an image [H, W, C]; null when the two orders coincide. */
    static int[] chwOrder(Shape image) {
        int h = image.dim(0), w = image.dim(1), c = image.dim(2);
        if (h * w == 1 || c == 1) {
            return null;
        }
        int[] p = new int[h * w * c];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int k = 0; k < c; k++) {
                    p[(y * w + x) * c + k] = (k * h + y) * w + x;
                }
            }
        }
        return p;
    }

    private static boolean elementwise(Layer l) {
        return l instanceof BatchNormLayer || l instanceof ActivationLayer;
    }

    /** The feature order of each edge (edge i = the input of layer i, edge L = the output): null = as PyTorch's. */
    static int[][] edgeOrders(List<Layer> layers) {
        int n = layers.size();
        int[][] perm = new int[n + 1][];
        for (int i = 0; i < n; i++) {
            Layer l = layers.get(i);
            if (l instanceof ReshapeLayer && l.inShape().rank() == 3 && l.outShape().rank() == 1) {
                perm[i + 1] = chwOrder(l.inShape());
            } else if (elementwise(l)) {
                perm[i + 1] = perm[i];
            }
        }
        for (int i = n - 1; i >= 0; i--) {
            Layer l = layers.get(i);
            if (l instanceof ReshapeLayer && l.inShape().rank() == 1 && l.outShape().rank() == 3) {
                perm[i] = chwOrder(l.outShape());
            } else if (elementwise(l) && perm[i] == null) {
                perm[i] = perm[i + 1];
            }
        }
        return perm;
    }

    static List<Entry> entries(Sequential net) {
        List<Layer> layers = net.layers();
        int[][] order = edgeOrders(layers);
        List<Entry> out = new ArrayList<>();
        int module = 0;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String p = "main." + module + ".";
            long off = net.parameterOffset(i);
            if (l instanceof DenseLayer d) {
                int in = d.inFeatures(), o = d.outFeatures();
                int[] pin = order[i], pout = order[i + 1];
                int[] perm = null;
                if (pin != null || pout != null) {
                    perm = new int[in * o];
                    for (int r = 0; r < o; r++) {
                        for (int c = 0; c < in; c++) {
                            perm[r * in + c] = (pout == null ? r : pout[r]) * in + (pin == null ? c : pin[c]);
                        }
                    }
                }
                out.add(new Entry(p + "weight", new long[] {o, in}, Source.PARAMS, off, perm));
                if (d.hasBias()) {
                    out.add(new Entry(p + "bias", new long[] {o}, Source.PARAMS, off + (long) o * in, pout));
                }
            } else if (l instanceof Conv2dLayer c) {
                var pr = c.problem(1);
                out.add(new Entry(p + "weight", new long[] {pr.k(), pr.c(), pr.r(), pr.s()}, Source.PARAMS, off,
                        channelsFirst(pr.k(), pr.r(), pr.s(), pr.c())));
                if (c.hasBias()) {
                    out.add(new Entry(p + "bias", new long[] {pr.k()}, Source.PARAMS, off + (long) pr.k() * pr.r() * pr.s() * pr.c(), null));
                }
            } else if (l instanceof ConvTranspose2dLayer t) {
                var pr = t.problem(1); // K = in, C = out
                out.add(new Entry(p + "weight", new long[] {pr.k(), pr.c(), pr.r(), pr.s()}, Source.PARAMS, off,
                        channelsFirst(pr.k(), pr.r(), pr.s(), pr.c())));
                if (t.hasBias()) {
                    out.add(new Entry(p + "bias", new long[] {pr.c()}, Source.PARAMS, off + (long) pr.k() * pr.r() * pr.s() * pr.c(), null));
                }
            } else if (l instanceof BatchNormLayer b) {
                int c = b.channels();
                int[] perm = l.inShape().rank() == 1 ? order[i] : null;
                long boff = net.bufferOffset(i);
                out.add(new Entry(p + "weight", new long[] {c}, Source.PARAMS, off, perm));
                out.add(new Entry(p + "bias", new long[] {c}, Source.PARAMS, off + c, perm));
                out.add(new Entry(p + "running_mean", new long[] {c}, Source.BUFFERS, boff, perm));
                out.add(new Entry(p + "running_var", new long[] {c}, Source.BUFFERS, boff + c, perm));
                out.add(new Entry(p + "num_batches_tracked", new long[0], Source.COUNTER, 0, null));
            } else if (l instanceof ReshapeLayer r) {
                boolean flatten = r.inShape().rank() == 3 && r.outShape().rank() == 1;
                boolean unflatten = r.inShape().rank() == 1 && r.outShape().rank() == 3;
                if (!flatten && !unflatten) {
                    throw new IllegalStateException("state_dict: reshape " + r.inShape() + " -> " + r.outShape()
                            + " has no PyTorch module (only flatten [H, W, C] -> [F] and unflatten [F] -> [H, W, C] do)");
                }
            } else if (!(l instanceof ActivationLayer)) {
                throw new IllegalStateException("state_dict: no PyTorch mapping for layer " + l.describe());
            }
            module += l.torchModules();
        }
        return out;
    }

    /** [a, b, c, d] index -> [a, d, b, c] index (dimension 3 moved to 1): KRSC -> KCRS. */
    private static int[] channelsFirst(int a, int b, int c, int d) {
        int[] p = new int[a * b * c * d];
        for (int i = 0; i < a; i++) {
            for (int j = 0; j < b; j++) {
                for (int k = 0; k < c; k++) {
                    for (int m = 0; m < d; m++) {
                        p[((i * b + j) * c + k) * d + m] = ((i * d + m) * b + j) * c + k;
                    }
                }
            }
        }
        return p;
    }

    static LinkedHashMap<String, long[]> shapes(Sequential net) {
        LinkedHashMap<String, long[]> m = new LinkedHashMap<>();
        for (Entry e : entries(net)) {
            m.put(e.key(), e.shape().clone());
        }
        return m;
    }

    static LinkedHashMap<String, HostTensor> export(Sequential net) {
        List<Entry> entries = entries(net);
        float[] params = net.parameters().toArray();
        float[] buffers = net.buffers().toArray();
        long count = net.trainingForwards();
        LinkedHashMap<String, HostTensor> m = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (e.source() == Source.COUNTER) {
                m.put(e.key(), HostTensor.scalar(count));
                continue;
            }
            float[] flat = e.source() == Source.PARAMS ? params : buffers;
            int n = (int) HostTensor.numel(e.shape());
            float[] t = new float[n];
            int off = (int) e.offset();
            for (int j = 0; j < n; j++) {
                t[e.perm() == null ? j : e.perm()[j]] = flat[off + j];
            }
            m.put(e.key(), HostTensor.f32(e.shape(), t));
        }
        return m;
    }

    static void load(Sequential net, Map<String, HostTensor> state) {
        if (state == null) {
            throw new IllegalArgumentException("load_state_dict: no state given");
        }
        List<Entry> entries = entries(net);
        List<String> missing = new ArrayList<>(), wrong = new ArrayList<>(), extra = new ArrayList<>();
        LinkedHashMap<String, Entry> byKey = new LinkedHashMap<>();
        for (Entry e : entries) {
            byKey.put(e.key(), e);
            HostTensor t = state.get(e.key());
            if (t == null) {
                missing.add(e.key() + " " + Arrays.toString(e.shape()));
            } else if (t.dtype() != e.dtype() || !Arrays.equals(t.shape(), e.shape())) {
                wrong.add(e.key() + ": " + t.dtype() + t.shapeString() + ", expected " + e.dtype() + Arrays.toString(e.shape()));
            }
        }
        for (String k : state.keySet()) {
            if (!byKey.containsKey(k)) {
                extra.add(k + (state.get(k) == null ? "" : " " + state.get(k).shapeString()));
            }
        }
        if (!missing.isEmpty() || !wrong.isEmpty() || !extra.isEmpty()) {
            StringBuilder s = new StringBuilder("load_state_dict: the state does not fit this network");
            if (!missing.isEmpty()) {
                s.append("; missing keys (").append(missing.size()).append("): ").append(String.join(", ", missing));
            }
            if (!extra.isEmpty()) {
                s.append("; unexpected keys (").append(extra.size()).append("): ").append(String.join(", ", extra));
            }
            if (!wrong.isEmpty()) {
                s.append("; wrong shape or dtype (").append(wrong.size()).append("): ").append(String.join(", ", wrong));
            }
            throw new IllegalArgumentException(s.toString());
        }
        float[] params = net.parameters().toArray();
        float[] buffers = net.buffers().toArray();
        Long count = null;
        for (Entry e : entries) {
            HostTensor t = state.get(e.key());
            if (e.source() == Source.COUNTER) {
                if (count == null) {
                    count = t.i64()[0];
                }
                continue;
            }
            float[] flat = e.source() == Source.PARAMS ? params : buffers;
            int off = (int) e.offset();
            float[] v = t.f32();
            for (int j = 0; j < v.length; j++) {
                flat[off + j] = v[e.perm() == null ? j : e.perm()[j]];
            }
        }
        if (count != null && count < 0) {
            throw new IllegalArgumentException("load_state_dict: num_batches_tracked " + count + " < 0");
        }
        net.parameters().copyFrom(params);
        net.buffers().copyFrom(buffers);
        if (count != null) {
            net.setTrainingForwards(count);
        }
    }
}
