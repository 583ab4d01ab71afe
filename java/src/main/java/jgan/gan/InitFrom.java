package jgan.gan;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jgan.io.Safetensors;
import jgan.nn.Sequential;
import jgan.tensor.HostTensor;

/**
 * {@code jgan train --init-from FILE.safetensors}: starts a new run from weights saved as a
 * PyTorch state_dict (by {@code jgan export}, or by PyTorch: {@code safetensors.torch.save_file(
 * netG.state_dict(), f)} of the equivalent module, for dcgan at 64 PyTorch's DCGAN example). The
 * file goes into the network, G or D, whose state_dict names and shapes it matches exactly
 * (jgan.nn.Sequential#stateDictShapes); a file that matches neither is refused, listing its
 * missing, extra and mis-shaped names against both networks. The other network keeps its
 * initialisation.
 *
 * <p>Batch norm's running_mean and running_var are loaded with the weights; num_batches_tracked
 * is not carried over: the new run counts its own training forwards from 0 (its checkpoints
 * cross-check that count against the step; PyTorch's batch norm with a momentum does not use it).
 */
public final class InitFrom {
    private InitFrom() {
    }

    /**
     * Loads {@code file} into {@code g} or {@code d}, whichever it matches.
     *
     * @return one line saying what was loaded, e.g. "--init-from g.safetensors: G's 14 tensors (3,576,704 values)"
     * @throws IllegalArgumentException when the file does not exist, is not safetensors, holds a
     *                                  non-finite value, or matches neither network (listing the
     *                                  differences against both); nothing is changed then
     * @throws jgan.io.FileError        when the file cannot be read
     */
    public static String apply(Path file, Sequential g, Sequential d) {
        return apply(List.of(file), g, d);
    }

    /**
     * Loads each file into the network it matches (e.g. a PyTorch-trained G and D), after all of
     * them are read and checked: nothing is changed when one is refused.
     *
     * @return one line per file (see {@link #apply(Path, Sequential, Sequential)})
     * @throws IllegalArgumentException as {@link #apply(Path, Sequential, Sequential)}, or when two
     *                                  files match the same network
     */
    public static String apply(List<Path> files, Sequential g, Sequential d) {
        List<Match> matches = new ArrayList<>();
        for (Path f : files) {
            Match m = match(f, g, d);
            for (Match earlier : matches) {
                if (earlier.into == m.into) {
                    throw new IllegalArgumentException("--init-from " + earlier.file + " and " + f + " both hold " + m.name
                            + "'s tensors: give one file per network");
                }
            }
            matches.add(m);
        }
        List<String> lines = new ArrayList<>();
        for (Match m : matches) {
            m.into.loadStateDict(m.state);
            m.into.setTrainingForwards(0); // the new run's own count (see the class comment)
            long values = m.state.values().stream().mapToLong(HostTensor::numel).sum();
            lines.add(String.format(java.util.Locale.ROOT, "--init-from %s: %s's %d tensors (%,d values)", m.file, m.name, m.state.size(),
                    values));
        }
        return String.join("\n", lines);
    }

    private record Match(Path file, LinkedHashMap<String, HostTensor> state, Sequential into, String name) {
    }

    private static Match match(Path file, Sequential g, Sequential d) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--init-from " + file + ": " + (Files.isDirectory(file) ? "a folder, not a safetensors file"
                    : "no such file"));
        }
        Safetensors.Contents c = Safetensors.readWithMetadata(file);
        LinkedHashMap<String, HostTensor> state = c.tensors();
        List<String> gDiff = differences(state, g.stateDictShapes());
        List<String> dDiff = differences(state, d.stateDictShapes());
        Sequential into;
        String name;
        if (gDiff.isEmpty() && (!dDiff.isEmpty() || !"d".equals(c.metadata().get(Exports.NET)))) {
            into = g;
            name = "G";
        } else if (dDiff.isEmpty()) {
            into = d;
            name = "D";
        } else {
            throw new IllegalArgumentException("--init-from " + file + " matches neither network of this run (" + state.size()
                    + " tensors in the file):\n  against G (" + g.stateDictShapes().size() + " tensors): " + String.join("; ", gDiff)
                    + "\n  against D (" + d.stateDictShapes().size() + " tensors): " + String.join("; ", dDiff));
        }
        for (Map.Entry<String, HostTensor> e : state.entrySet()) {
            HostTensor t = e.getValue();
            if (t.dtype() == HostTensor.DType.F32) {
                for (int i = 0; i < t.f32().length; i++) {
                    if (!Float.isFinite(t.f32()[i])) {
                        throw new IllegalArgumentException("--init-from " + file + ": '" + e.getKey() + "' holds " + t.f32()[i]
                                + " at index " + i + ": every value must be finite");
                    }
                }
            }
        }
        return new Match(file, state, into, name);
    }

    /**
     * The disagreements of a state_dict with a network's names and shapes: missing names, extra
     * names, and names whose shape or dtype differs (num_batches_tracked must be an int64 scalar,
     * everything else float32). Empty when they match.
     */
    public static List<String> differences(Map<String, HostTensor> state, Map<String, long[]> expected) {
        List<String> missing = new ArrayList<>(), extra = new ArrayList<>(), shapes = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            HostTensor t = state.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey() + " " + Arrays.toString(e.getValue()));
                continue;
            }
            HostTensor.DType want = e.getKey().endsWith("num_batches_tracked") ? HostTensor.DType.I64 : HostTensor.DType.F32;
            if (!Arrays.equals(t.shape(), e.getValue()) || t.dtype() != want) {
                shapes.add(e.getKey() + " is " + t.dtype() + t.shapeString() + ", needs " + want + Arrays.toString(e.getValue()));
            }
        }
        for (Map.Entry<String, HostTensor> e : state.entrySet()) {
            if (!expected.containsKey(e.getKey())) {
                extra.add(e.getKey() + " " + e.getValue().shapeString());
            }
        }
        List<String> out = new ArrayList<>();
        if (!missing.isEmpty()) {
            out.add("missing " + String.join(", ", missing));
        }
        if (!extra.isEmpty()) {
            out.add("unexpected " + String.join(", ", extra));
        }
        if (!shapes.isEmpty()) {
            out.add("wrong shape " + String.join(", ", shapes));
        }
        return out;
    }
}
