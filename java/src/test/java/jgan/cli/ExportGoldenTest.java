package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import jgan.device.Device;
import jgan.device.Devices;
import jgan.gan.TinyRuns;
import jgan.io.Safetensors;
import jgan.tensor.HostTensor;
import org.junit.jupiter.api.Test;

/**
 * {@code jgan export} of a dcgan run at PyTorch's DCGAN example's sizes (64x64 RGB, nz 100,
 * ngf = ndf = 64) writes exactly the example's state_dict: the same keys in the same order, dtypes
 * and shapes as the golden list PyTorch wrote (bench/parity/export_check.py, PyTorch 2.13:
 * java/src/test/resources/jgan/parity/dcgan64_state_dict.txt), for G and for D.
 */
class ExportGoldenTest extends CliTestBase {
    @Test
    void dcgan64ExportHasPyTorchsDcganExampleKeys() throws Exception {
        List<String> golden = new ArrayList<>();
        try (InputStream in = getClass().getResourceAsStream("/jgan/parity/dcgan64_state_dict.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    golden.add(line.strip());
                }
            }
        }
        assertEquals(45, golden.size(), "25 G + 20 D entries in PyTorch's state_dicts");
        Path run = dir.resolve("dcgan64");
        try (Device cpu = Devices.open("cpu")) {
            TinyRuns.make(run, TinyRuns.dcgan64(2, 0), cpu, 0, List.of()).close();
        }
        List<String> got = new ArrayList<>();
        for (String net : new String[] {"g", "d"}) {
            Path file = dir.resolve(net + ".safetensors");
            assertEquals(0, jgan("export", "--run", run.toString(), "--net", net, "--out", file.toString()), err());
            for (Map.Entry<String, HostTensor> e : Safetensors.read(file).entrySet()) {
                got.add(net + " " + e.getKey() + " " + e.getValue().dtype() + " " + Arrays.toString(e.getValue().shape()));
            }
        }
        assertEquals(String.join("\n", golden), String.join("\n", got));
    }
}
