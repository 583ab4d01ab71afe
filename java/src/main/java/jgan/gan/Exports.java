package jgan.gan;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import jgan.device.Device;
import jgan.device.Devices;
import jgan.io.Json;
import jgan.io.Safetensors;
import jgan.nn.Sequential;
import jgan.tensor.HostTensor;

/**
 * A trained network as a safetensors file PyTorch loads: the tensors are
 * {@link Sequential#stateDict()} (PyTorch's names main.&lt;i&gt;.&lt;name&gt;, Conv2d weights OIHW,
 * ConvTranspose2d [in, out, kh, kw], Linear [out, in], batch norm's running_mean, running_var and
 * num_batches_tracked as an I64 scalar; for dcgan at 64x64 exactly the keys of PyTorch's DCGAN
 * example), so {@code module.load_state_dict(safetensors.torch.load_file(f), strict=True)} takes
 * it. The metadata (the header's "__metadata__", strings) says what the tensors are, so that jgan
 * can rebuild the network from the file alone ({@link Generator#fromSafetensors}):
 * <ul>
 *   <li>{@value #FORMAT}: "pt" (what safetensors.torch writes);</li>
 *   <li>{@value #CONFIG}: the run's config.json (model, image_size, channels, latent, g_width, d_width, ...);</li>
 *   <li>{@value #NET}: "g" or "d";</li>
 *   <li>{@value #STEP}: the training step of the checkpoint exported.</li>
 * </ul>
 */
public final class Exports {
    public static final String FORMAT = "format";
    public static final String CONFIG = "jgan.config";
    public static final String NET = "jgan.net";
    public static final String STEP = "jgan.step";

    private Exports() {
    }

    /** What an export wrote: the file, the network, its state_dict entries and parameter count. */
    public record Written(Path file, String net, int entries, long values) {
    }

    /**
     * Writes network {@code net} ("g" or "d") of {@code run} to {@code out} (atomically). The
     * network is rebuilt on the cpu device to read its state_dict: no GPU is needed.
     *
     * @throws IllegalArgumentException for another net name or a checkpoint that does not fit its config
     * @throws jgan.io.FileError        when the file cannot be written
     */
    public static Written write(TrainedRun run, String net, Path out) {
        LinkedHashMap<String, HostTensor> state;
        try (Device cpu = Devices.open("cpu"); Sequential n = run.network(net, cpu)) {
            state = n.stateDict();
        }
        Safetensors.write(out, state, metadata(run.config(), net, run.step()));
        long values = state.values().stream().mapToLong(HostTensor::numel).sum();
        return new Written(out, net, state.size(), values);
    }

    /** The metadata of an export (see the class comment). */
    public static Map<String, String> metadata(TrainConfig config, String net, long step) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(FORMAT, "pt");
        m.put(CONFIG, Json.write(config.toMap()));
        m.put(NET, net);
        m.put(STEP, Long.toString(step));
        return m;
    }
}
