package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import jgan.device.Device;
import jgan.device.Devices;
import jgan.gan.Exports;
import jgan.gan.Generator;
import jgan.gan.TinyRuns;
import jgan.gan.TrainConfig;
import jgan.io.Npy;
import jgan.io.Safetensors;
import jgan.tensor.HostTensor;
import org.junit.jupiter.api.Test;

/**
 * {@code jgan sample}, {@code jgan export} and {@code train --init-from} end to end on tiny runs
 * (a dcgan 16x16 RGB made through the API, a ring8 mlp made by the train command), on the cpu
 * device, with their refusals.
 */
class SampleExportCommandTest extends CliTestBase {
    private Path dcgan() throws Exception {
        Path run = dir.resolve("dcgan");
        try (Device cpu = Devices.open("cpu")) {
            TinyRuns.write(run, TinyRuns.dcgan16(), cpu);
        }
        return run;
    }

    @Test
    void sampleWritesPngAndNpy() throws Exception {
        Path run = dcgan();
        Path png = dir.resolve("grid.png");
        assertEquals(0, jgan("sample", "--run", run.toString(), "--out", png.toString(), "--device", "cpu"), err());
        assertTrue(out().contains("64 images 16x16x3") && out().contains("eval (running statistics), seed 0"), out());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(8 * (16 + 2) - 2, img.getWidth()); // 64 images: 8 x 8 tiles, 2-pixel lines between
        assertEquals(8 * (16 + 2) - 2, img.getHeight());

        Path npy = dir.resolve("s.npy");
        assertEquals(0, jgan("sample", "--run", run.toString(), "--n", "5", "--seed", "3", "--out", npy.toString(), "--device", "cpu"), err());
        HostTensor s = Npy.read(npy);
        assertEquals(HostTensor.DType.F32, s.dtype());
        assertArrayEquals(new long[] {5, 3, 16, 16}, s.shape());
        try (Device cpu = Devices.open("cpu"); Generator g = Generator.fromRun(run, cpu)) {
            assertArrayEquals(g.sample(5, 3).f32(), s.f32());
            // --z: the given latents
            HostTensor z = g.latents(4, 99);
            Path zFile = dir.resolve("z.npy");
            Npy.write(zFile, z);
            Path fromZ = dir.resolve("z-out.npy");
            assertEquals(0, jgan("sample", "--run", run.toString(), "--z", zFile.toString(), "--out", fromZ.toString(), "--device", "cpu"), err());
            assertArrayEquals(g.generate(z).f32(), Npy.read(fromZ).f32());
            // --sample-bn batch: other images (the batch's statistics)
            Path batch = dir.resolve("batch.npy");
            assertEquals(0, jgan("sample", "--run", run.toString(), "--z", zFile.toString(), "--sample-bn", "batch", "--out",
                    batch.toString(), "--device", "cpu"), err());
            assertTrue(out().contains("batch statistics"), out());
            assertFalse(java.util.Arrays.equals(Npy.read(fromZ).f32(), Npy.read(batch).f32()));
        }
    }

    @Test
    void exportThenSampleFromTheFile() throws Exception {
        Path run = dcgan();
        Path g = dir.resolve("g.safetensors");
        assertEquals(0, jgan("export", "--run", run.toString(), "--out", g.toString()), err());
        assertTrue(out().contains("G of ") && out().contains("step 3") && out().contains("-> " + g), out());
        Safetensors.Contents c = Safetensors.readWithMetadata(g);
        assertEquals("main.0.weight", c.tensors().keySet().iterator().next());
        assertEquals(HostTensor.DType.I64, c.tensors().get("main.1.num_batches_tracked").dtype());
        assertEquals(0, c.tensors().get("main.1.num_batches_tracked").rank());
        assertEquals(3, c.tensors().get("main.1.num_batches_tracked").i64()[0], "G trained forward once per step (n_critic 1)");
        assertTrue(c.metadata().get(Exports.CONFIG).contains("\"model\""), c.metadata().toString());
        Path a = dir.resolve("a.npy"), b = dir.resolve("b.npy");
        assertEquals(0, jgan("sample", "--run", run.toString(), "--n", "6", "--out", a.toString(), "--device", "cpu"), err());
        assertEquals(0, jgan("sample", "--from", g.toString(), "--n", "6", "--out", b.toString(), "--device", "cpu"), err());
        assertArrayEquals(Npy.read(a).f32(), Npy.read(b).f32(), "the export samples the same images as the run");

        Path d = dir.resolve("d.safetensors");
        assertEquals(0, jgan("export", "--run", run.toString(), "--net", "d", "--out", d.toString()), err());
        assertTrue(out().contains("D of "), out());
        assertEquals("d", Safetensors.readWithMetadata(d).metadata().get(Exports.NET));
        assertEquals(2, jgan("sample", "--from", d.toString(), "--out", b.toString(), "--device", "cpu"));
        assertTrue(err().contains("holds a discriminator"), err());
    }

    @Test
    void refusals() throws Exception {
        Path run = dcgan();
        String r = run.toString(), o = dir.resolve("x.npy").toString();
        assertEquals(2, jgan("sample", "--run", dir.resolve("missing").toString(), "--out", o));
        assertTrue(err().contains("no such run folder"), err());
        assertEquals(2, jgan("sample", "--run", r, "--n", "0", "--out", o));
        assertTrue(err().contains("--n must be at least 1, got 0"), err());
        assertEquals(2, jgan("sample", "--run", r, "--out", dir.resolve("x.jpg").toString()));
        assertTrue(err().contains("must end in .png") , err());
        assertEquals(2, jgan("sample", "--out", o));
        assertTrue(err().contains("missing --run RUN"), err());
        assertEquals(2, jgan("sample", "--run", r, "--seed", "1", "--z", o, "--out", o));
        assertTrue(err().contains("give one of them"), err());
        assertEquals(2, jgan("sample", "--run", r, "--sample-bn", "train", "--out", o));
        assertTrue(err().contains("eval or batch"), err());

        Path z = dir.resolve("z.npy");
        Npy.write(z, HostTensor.f32(new long[] {3, 7}, new float[21]));
        assertEquals(2, jgan("sample", "--run", r, "--z", z.toString(), "--out", o, "--device", "cpu"));
        assertTrue(err().contains("--z " + z + " must be float32 [n, 8]") && err().contains("[3, 7]"), err());
        float[] nan = new float[16];
        nan[9] = Float.NaN;
        Npy.write(z, HostTensor.f32(new long[] {2, 8}, nan));
        assertEquals(2, jgan("sample", "--run", r, "--z", z.toString(), "--out", o, "--device", "cpu"));
        assertTrue(err().contains("holds NaN at row 1, column 1"), err());
        Npy.write(z, HostTensor.f32(new long[] {2, 8}, new float[16]));
        assertEquals(2, jgan("sample", "--run", r, "--z", z.toString(), "--n", "3", "--out", o, "--device", "cpu"));
        assertTrue(err().contains("holds 2 rows"), err());
        assertFalse(Files.exists(Path.of(o)), "nothing written by a refused command");

        assertEquals(2, jgan("export", "--run", r, "--net", "x", "--out", dir.resolve("x.safetensors").toString()));
        assertTrue(err().contains("--net must be g (the generator) or d (the discriminator), got 'x'"), err());
        assertEquals(2, jgan("export", "--run", dir.resolve("missing").toString(), "--out", dir.resolve("x.safetensors").toString()));
        assertTrue(err().contains("no such run folder"), err());
        assertEquals(2, jgan("export", "--run", r, "--out", dir.resolve("x.pt").toString()));
        assertTrue(err().contains("must end in .safetensors"), err());
        Files.createDirectories(dir.resolve("empty"));
        assertEquals(2, jgan("export", "--run", dir.resolve("empty").toString(), "--out", dir.resolve("x.safetensors").toString()));
        assertTrue(err().contains("has no checkpoint.bin"), err());
    }

    /** A ring8 run made by the train command: sample gives points, export works, and --init-from loads its G into a new run. */
    @Test
    void mixtureRunsAndInitFrom() throws Exception {
        Path run = dir.resolve("ring");
        List<String> train = List.of("train", "--data", "ring8", "--device", "cpu", "--steps", "4", "--batch", "16", "--width", "8",
                "--depth", "1", "--latent", "3", "--log-every", "2");
        String[] a = new java.util.ArrayList<>(train) {{ add("--out"); add(run.toString()); }}.toArray(new String[0]);
        assertEquals(0, jgan(a), err());
        Path pts = dir.resolve("pts.npy");
        assertEquals(0, jgan("sample", "--run", run.toString(), "--n", "10", "--out", pts.toString(), "--device", "cpu"), err());
        assertArrayEquals(new long[] {10, 2}, Npy.read(pts).shape());
        assertTrue(out().contains("10 points"), out());
        Path png = dir.resolve("pts.png");
        assertEquals(0, jgan("sample", "--run", run.toString(), "--out", png.toString(), "--device", "cpu"), err());
        assertTrue(ImageIO.read(png.toFile()).getWidth() > 100);

        Path g = dir.resolve("ring-g.safetensors");
        assertEquals(0, jgan("export", "--run", run.toString(), "--out", g.toString()), err());
        assertEquals(List.of("main.0.weight", "main.0.bias", "main.2.weight", "main.2.bias"),
                List.copyOf(Safetensors.read(g).keySet()));
        Path second = dir.resolve("second");
        String[] b = new java.util.ArrayList<>(train) {{ add("--out"); add(second.toString()); add("--init-from"); add(g.toString()); }}
                .toArray(new String[0]);
        assertEquals(0, jgan(b), err());
        assertTrue(out().contains("--init-from " + g + ": G's 4 tensors"), out());

        // a dcgan file fits neither mlp network: refused before any folder is made
        Path dc = dcgan();
        Path dg = dir.resolve("dc-g.safetensors");
        assertEquals(0, jgan("export", "--run", dc.toString(), "--out", dg.toString()), err());
        Path third = dir.resolve("third");
        String[] c = new java.util.ArrayList<>(train) {{ add("--out"); add(third.toString()); add("--init-from"); add(dg.toString()); }}
                .toArray(new String[0]);
        assertEquals(2, jgan(c));
        assertTrue(err().contains("matches neither network of this run") && err().contains("against G") && err().contains("against D"),
                err());
        assertFalse(Files.exists(third), "a refused --init-from leaves no run folder");
        assertEquals(2, jgan("train", "--resume", run.toString(), "--init-from", g.toString()));
        assertTrue(err().contains("--init-from"), err());
    }

    /** A folder of 8 small RGB PNGs (smooth gradients). */
    private Path pictures() throws java.io.IOException {
        Path f = dir.resolve("pictures");
        Files.createDirectories(f);
        for (int i = 0; i < 8; i++) {
            BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) {
                    img.setRGB(x, y, ((x * 16) << 16) | ((y * 16) << 8) | (i * 30));
                }
            }
            ImageIO.write(img, "png", f.resolve("p" + i + ".png").toFile());
        }
        return f;
    }

    private String[] imageTrain(Path data, Path run, int steps, String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of("train", "--data", data.toString(), "--out", run.toString(), "--device", "cpu",
                "--image-size", "16", "--g-width", "4", "--d-width", "4", "--latent", "8", "--batch", "4", "--steps", "" + steps,
                "--log-every", "1", "--checkpoint-every", "0"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /**
     * An image run made by the train command: sample and export it, then start a new run from its G
     * and D with --init-from (after one Adam step of lr 2e-4 the weights are still within 1e-3 of
     * the files: they were loaded, not drawn afresh with N(0, 0.02)).
     */
    @Test
    void imageRunFromTheTrainCommandAndInitFromBothNets() throws Exception {
        Path data = pictures();
        Path run = dir.resolve("img");
        assertEquals(0, jgan(imageTrain(data, run, 2)), err());
        Path npy = dir.resolve("img.npy");
        assertEquals(0, jgan("sample", "--run", run.toString(), "--n", "3", "--out", npy.toString(), "--device", "cpu"), err());
        assertArrayEquals(new long[] {3, 3, 16, 16}, Npy.read(npy).shape());
        Path g = dir.resolve("img-g.safetensors"), d = dir.resolve("img-d.safetensors");
        assertEquals(0, jgan("export", "--run", run.toString(), "--out", g.toString()), err());
        assertEquals(0, jgan("export", "--run", run.toString(), "--net", "d", "--out", d.toString()), err());

        Path next = dir.resolve("next");
        assertEquals(0, jgan(imageTrain(data, next, 1, "--init-from", d.toString(), "--init-from", g.toString())), err());
        assertTrue(out().contains("--init-from " + d + ": D's") && out().contains("--init-from " + g + ": G's"), out());
        Path g2 = dir.resolve("next-g.safetensors"), d2 = dir.resolve("next-d.safetensors");
        assertEquals(0, jgan("export", "--run", next.toString(), "--out", g2.toString()), err());
        assertEquals(0, jgan("export", "--run", next.toString(), "--net", "d", "--out", d2.toString()), err());
        for (Path[] pair : new Path[][] {{g, g2}, {d, d2}}) {
            java.util.Map<String, HostTensor> before = Safetensors.read(pair[0]), after = Safetensors.read(pair[1]);
            double max = 0;
            for (String k : before.keySet()) {
                if (k.endsWith(".weight") || k.endsWith(".bias")) {
                    float[] a = before.get(k).f32(), b = after.get(k).f32();
                    for (int i = 0; i < a.length; i++) {
                        max = Math.max(max, Math.abs(a[i] - b[i]));
                    }
                }
            }
            assertTrue(max > 0 && max < 1e-3, pair[1] + ": max |weight change| over one step " + max);
            String counter = after.keySet().stream().filter(k -> k.endsWith("num_batches_tracked")).findFirst().orElseThrow();
            assertEquals(pair[0] == g ? 1 : 3, after.get(counter).i64()[0],
                    "the new run counts its own training forwards from 0 (one step: G 1, D 2 + 1)");
        }
        Path twice = dir.resolve("twice");
        assertEquals(2, jgan(imageTrain(data, twice, 1, "--init-from", g.toString(), "--init-from", g.toString())));
        assertTrue(err().contains("both hold G's tensors"), err());
        assertFalse(Files.exists(twice));
    }
}
