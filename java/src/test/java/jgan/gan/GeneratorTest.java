package jgan.gan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import jgan.device.Device;
import jgan.device.Devices;
import jgan.io.Safetensors;
import jgan.tensor.HostTensor;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jgan.gan.Generator on a tiny trained dcgan run (16x16 RGB, cpu device): the images equal the
 * training step's own generator output (NHWC there, NCHW here), eval mode makes an image depend on
 * its z alone, batch statistics leave the running statistics alone, exports load back to the same
 * images, and bad inputs are refused by name.
 */
class GeneratorTest {
    @TempDir
    static Path dir;
    static Device cpu;
    static AdversarialStep trained;
    static Path run;

    @BeforeAll
    static void makeRun() throws Exception {
        cpu = Devices.open("cpu");
        run = dir.resolve("run");
        trained = TinyRuns.make(run, TinyRuns.dcgan16(), cpu);
    }

    @AfterAll
    static void close() {
        trained.close();
        cpu.close();
    }

    @Test
    void imagesAreTheTrainedGeneratorsInNchw() {
        try (Generator g = Generator.fromRun(run, cpu)) {
            assertEquals(8, g.latent());
            assertTrue(g.makesImages());
            assertArrayEquals(new long[] {3, 16, 16}, g.sampleShape());
            assertEquals(3, g.step());
            HostTensor z = g.latents(5, 9);
            assertArrayEquals(new long[] {5, 8}, z.shape());
            HostTensor images = g.generate(z);
            assertArrayEquals(new long[] {5, 3, 16, 16}, images.shape());
            float[] nhwc;
            try (Tensor zt = Tensor.of(cpu, Shape.of(5, 8), z.f32())) {
                nhwc = trained.generate(zt); // the training step's G, eval mode (the run's sample_bn)
            }
            float[] v = images.f32();
            double maxDiff = 0;
            for (int b = 0; b < 5; b++) {
                for (int y = 0; y < 16; y++) {
                    for (int x = 0; x < 16; x++) {
                        for (int c = 0; c < 3; c++) {
                            maxDiff = Math.max(maxDiff, Math.abs(v[((b * 3 + c) * 16 + y) * 16 + x] - nhwc[((b * 16 + y) * 16 + x) * 3 + c]));
                        }
                    }
                }
            }
            assertTrue(maxDiff <= 1e-6, "max |Generator - AdversarialStep.generate| = " + maxDiff);
            for (float x : v) {
                assertTrue(x >= -1 && x <= 1, "tanh output " + x);
            }
            assertArrayEquals(g.sample(5, 9).f32(), v, "sample(n, seed) = generate(latents(n, seed))");
            assertFalse(Arrays.equals(g.sample(5, 10).f32(), v), "another seed, other images");
        }
    }

    @Test
    void evalModeImagesDependOnTheirOwnZOnly() {
        try (Generator g = Generator.fromRun(run, cpu)) {
            HostTensor z = g.latents(6, 1);
            float[] all = g.generate(z).f32();
            HostTensor first = HostTensor.f32(new long[] {1, 8}, Arrays.copyOf(z.f32(), 8));
            float[] alone = g.generate(first).f32();
            assertArrayEquals(alone, Arrays.copyOf(all, alone.length), "eval mode: image 0 alone = image 0 in a batch of 6");

            float[] running = trainedBuffers(g);
            g.useBatchStatistics(true);
            float[] batch6 = g.generate(z).f32();
            float[] batch1of2 = g.generate(HostTensor.f32(new long[] {2, 8}, Arrays.copyOf(z.f32(), 16))).f32();
            assertFalse(Arrays.equals(Arrays.copyOf(batch6, alone.length), Arrays.copyOf(batch1of2, alone.length)),
                    "batch statistics: image 0 depends on the rest of the batch");
            assertFalse(Arrays.equals(Arrays.copyOf(batch6, alone.length), alone), "batch statistics differ from the running ones");
            g.useBatchStatistics(false);
            assertArrayEquals(running, trainedBuffers(g), "batch statistics leave the running statistics as they were");
            assertArrayEquals(all, g.generate(z).f32(), "back in eval mode: the same images as before");
        }
    }

    private static float[] trainedBuffers(Generator g) {
        HostTensor z = g.latents(1, 77);
        return g.generate(z).f32(); // eval output is a function of the running statistics
    }

    @Test
    void exportLoadsBackToTheSameImages() {
        Path file = dir.resolve("g.safetensors");
        Exports.Written w = Exports.write(TrainedRun.read(run), "g", file);
        assertEquals(file, w.file());
        Safetensors.Contents c = Safetensors.readWithMetadata(file);
        assertEquals("g", c.metadata().get(Exports.NET));
        assertEquals("pt", c.metadata().get(Exports.FORMAT));
        assertEquals("3", c.metadata().get(Exports.STEP));
        try (Generator a = Generator.fromRun(run, cpu); Generator b = Generator.load(file, cpu)) {
            assertArrayEquals(a.sample(7, 3).f32(), b.sample(7, 3).f32());
            assertEquals(3, b.step());
            // the same weights from the bare state_dict and the spec
            try (Generator s = Generator.fromStateDict(a.spec(), c.tensors(), cpu)) {
                assertArrayEquals(a.sample(7, 3).f32(), s.sample(7, 3).f32());
                assertEquals(-1, s.step());
            }
            BufferedImage grid = b.grid(b.sample(4, 0));
            assertEquals(2 * 16 + 2, grid.getWidth());
            BufferedImage one = b.image(b.sample(4, 0), 3);
            assertEquals(16, one.getWidth());
            assertEquals(16, one.getHeight());
        }
    }

    @Test
    void refusals() {
        Path dFile = dir.resolve("d.safetensors");
        Exports.write(TrainedRun.read(run), "d", dFile);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Generator.load(dFile, cpu));
        assertTrue(e.getMessage().contains("holds a discriminator"), e.getMessage());

        Path bare = dir.resolve("bare.safetensors");
        Safetensors.write(bare, Safetensors.read(dFile), Map.of());
        e = assertThrows(IllegalArgumentException.class, () -> Generator.load(bare, cpu));
        assertTrue(e.getMessage().contains("carries no jgan model"), e.getMessage());

        try (Generator g = Generator.fromRun(run, cpu)) {
            // a D state_dict into G's spec: every misfit listed
            e = assertThrows(IllegalArgumentException.class, () -> Generator.fromStateDict(g.spec(), Safetensors.read(dFile), cpu));
            assertTrue(e.getMessage().contains("does not fit the dcgan generator") && e.getMessage().contains("main.0.weight"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> g.generate(HostTensor.f32(new long[] {2, 7}, new float[14])));
            assertTrue(e.getMessage().contains("[n, 8]") && e.getMessage().contains("[2, 7]"), e.getMessage());
            float[] nan = new float[16];
            nan[11] = Float.NaN;
            e = assertThrows(IllegalArgumentException.class, () -> g.generate(HostTensor.f32(new long[] {2, 8}, nan)));
            assertTrue(e.getMessage().contains("NaN at row 1, column 3"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> g.sample(0, 1));
            assertTrue(e.getMessage().contains("at least 1, got 0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> g.image(g.sample(2, 1), 2));
            g.close();
            assertThrows(IllegalStateException.class, () -> g.sample(1, 1));
        }
        e = assertThrows(IllegalArgumentException.class, () -> Generator.load(dir.resolve("nothing"), cpu));
        assertTrue(e.getMessage().contains("no run folder or safetensors file"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Generator.fromRun(dir, cpu));
        assertTrue(e.getMessage().contains("has no checkpoint.bin"), e.getMessage());
    }

    @Test
    void mixtureRunsGivePoints() throws Exception {
        TrainConfig c = TrainConfig.defaults("ring8").with("steps", "2").with("batch", "16").with("width", "8").with("depth_g", "1")
                .with("depth_d", "1").with("latent", "3");
        Path mix = dir.resolve("mix");
        TinyRuns.write(mix, c, cpu);
        try (Generator g = Generator.fromRun(mix, cpu)) {
            assertFalse(g.makesImages());
            HostTensor p = g.sample(10, 2);
            assertArrayEquals(new long[] {10, 2}, p.shape());
            assertThrows(IllegalArgumentException.class, () -> g.grid(p));
        }
    }

    @Test
    void stateDictOfARunLoadsIntoAFreshNetwork() {
        // InitFrom's core: the exported G goes into a fresh G, not D; a D file into D.
        TrainedRun r = TrainedRun.read(run);
        try (jgan.nn.Sequential g = r.network("g", cpu); jgan.nn.Sequential d = r.network("d", cpu);
             jgan.nn.Sequential g2 = r.spec().generator(cpu, jgan.kernels.MathMode.FP32);
             jgan.nn.Sequential d2 = r.spec().discriminator(cpu, jgan.kernels.MathMode.FP32)) {
            g2.initialize(jgan.nn.Init.NORMAL_002, 1);
            d2.initialize(jgan.nn.Init.NORMAL_002, 1);
            Path gFile = dir.resolve("init-g.safetensors"), dFile = dir.resolve("init-d.safetensors");
            Safetensors.write(gFile, g.stateDict(), Map.of());
            Safetensors.write(dFile, d.stateDict(), Map.of());
            float[] d2Before = d2.parameters().toArray();
            String line = InitFrom.apply(gFile, g2, d2);
            assertTrue(line.contains("G's"), line);
            assertArrayEquals(g.parameters().toArray(), g2.parameters().toArray());
            assertArrayEquals(g.buffers().toArray(), g2.buffers().toArray());
            assertEquals(0, g2.trainingForwards(), "num_batches_tracked is not carried into a new run");
            assertArrayEquals(d2Before, d2.parameters().toArray(), "D untouched");
            line = InitFrom.apply(dFile, g2, d2);
            assertTrue(line.contains("D's"), line);
            assertArrayEquals(d.parameters().toArray(), d2.parameters().toArray());

            // a file matching neither: differences against both
            LinkedHashMap<String, HostTensor> odd = new LinkedHashMap<>(g.stateDict());
            odd.remove("main.1.running_var");
            odd.put("main.0.weight", HostTensor.f32(new long[] {2, 2}, new float[4]));
            odd.put("extra.bias", HostTensor.f32(new long[] {1}, new float[1]));
            Path oddFile = dir.resolve("odd.safetensors");
            Safetensors.write(oddFile, odd, Map.of());
            float[] g2Before = g2.parameters().toArray();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InitFrom.apply(oddFile, g2, d2));
            String m = e.getMessage();
            assertTrue(m.contains("matches neither network") && m.contains("against G") && m.contains("against D")
                    && m.contains("missing main.1.running_var") && m.contains("unexpected extra.bias [1]")
                    && m.contains("main.0.weight is F32[2, 2], needs F32[8, 8, 4, 4]"), m);
            assertArrayEquals(g2Before, g2.parameters().toArray(), "nothing changed by a refused file");
            float[] bad = g.parameters().toArray().clone();
            LinkedHashMap<String, HostTensor> nan = new LinkedHashMap<>(g.stateDict());
            HostTensor w = nan.get("main.0.weight");
            float[] wv = w.f32().clone();
            wv[5] = Float.POSITIVE_INFINITY;
            nan.put("main.0.weight", HostTensor.f32(w.shape(), wv));
            Path nanFile = dir.resolve("inf.safetensors");
            Safetensors.write(nanFile, nan, Map.of());
            e = assertThrows(IllegalArgumentException.class, () -> InitFrom.apply(nanFile, g2, d2));
            assertTrue(e.getMessage().contains("'main.0.weight' holds Infinity at index 5"), e.getMessage());
            assertEquals(bad.length, g2.parameters().toArray().length);
        }
    }
}
