package jgan.gan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import jgan.io.Json;
import jgan.nn.Init;
import org.junit.jupiter.api.Test;

/** config.json: image runs round-trip as format version 2; mixture runs stay version 1; version 1 reads as mlp. */
class TrainConfigTest {
    @Test
    void imageConfigRoundTripsAsVersion2() {
        TrainConfig c = TrainConfig.imageDefaults("folder", "/data/faces").with("image_size", "64").with("channels", "3")
                .with("g_width", "48").with("model", "mlp-conv").with("sample_bn", "batch").with("background", "#000000");
        Map<String, Object> m = c.toMap();
        assertEquals(2, m.get("format_version"));
        assertEquals("mlp-conv", m.get("model"));
        TrainConfig back = TrainConfig.fromMap(Json.parseObject(Json.write(m)));
        assertEquals(c, back);
        assertEquals(64, back.imageSize());
        assertEquals(48, back.gWidth());
        assertEquals("/data/faces", back.dataDir());
        assertEquals("batch", back.sampleBn());
        assertTrue(back.images());
    }

    @Test
    void imageDefaultsAreDcgans() {
        TrainConfig c = TrainConfig.defaults("fashion-mnist");
        assertEquals("dcgan", c.model());
        assertEquals(28, c.imageSize());
        assertEquals(1, c.channels());
        assertEquals(64, c.batch());
        assertEquals(2e-4f, c.lrG());
        assertEquals(2e-4f, c.lrD());
        assertEquals(0.5f, c.beta1());
        assertEquals(0.999f, c.beta2());
        assertEquals(Init.NORMAL_002, c.init());
        assertEquals(LossKind.NON_SATURATING, c.loss());
        TrainConfig w = TrainConfig.defaults("fashion-mnist", LossKind.WASSERSTEIN);
        assertEquals(5, w.nCritic());
        assertEquals(0.01f, w.clip());
        assertEquals("dcgan", w.model());
    }

    @Test
    void mixtureConfigStaysVersion1WithoutImageFields() {
        Map<String, Object> m = TrainConfig.defaults("ring8").toMap();
        assertEquals(1, m.get("format_version"));
        for (String f : TrainConfig.IMAGE_FIELDS) {
            assertFalse(m.containsKey(f), f);
        }
        TrainConfig back = TrainConfig.fromMap(Json.parseObject(Json.write(m)));
        assertEquals("mlp", back.model());
        assertEquals(0, back.imageSize());
        assertFalse(back.images());
    }

    @Test
    void aVersion2MixtureConfigReadsWithNeutralImageFieldsOnly() {
        Map<String, Object> m = TrainConfig.defaults("grid25").toMap();
        m.put("format_version", 2);
        m.put("model", "mlp");
        m.put("image_size", 0);
        m.put("channels", 0);
        m.put("g_width", 0);
        m.put("d_width", 0);
        m.put("data_dir", "");
        m.put("sample_bn", "eval");
        m.put("background", "#ffffff");
        assertEquals(TrainConfig.defaults("grid25"), TrainConfig.fromMap(m));
        m.put("image_size", 28);
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.fromMap(m));
    }

    @Test
    void version1WithImageFieldsIsRefusedNamingThem() {
        Map<String, Object> m = TrainConfig.defaults("ring8").toMap();
        m.put("model", "dcgan");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.fromMap(m));
        assertTrue(e.getMessage().contains("'model'"), e.getMessage());
    }

    @Test
    void mismatchesAreRefusedWithWhatWorks() {
        TrainConfig fm = TrainConfig.defaults("fashion-mnist");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> fm.with("model", "mlp")).getMessage().contains("dcgan or mlp-conv"));
        assertEquals(32, fm.with("image_size", "32").imageSize()); // Fashion-MNIST is resized for a DCGAN of 32
        assertTrue(assertThrows(IllegalArgumentException.class, () -> fm.with("channels", "2")).getMessage().contains("1 (grey) or 3"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> fm.with("sample_bn", "train")).getMessage().contains("eval or batch"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> fm.with("background", "white")).getMessage().contains("#rrggbb"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> fm.with("data", "folder")).getMessage().contains("data_dir"));
        Map<String, Object> m = fm.toMap();
        m.put("data", "ring8");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrainConfig.fromMap(m)).getMessage().contains("model mlp"));
    }

    /** An image run's config.json lists only the fields its model and loss use; mixture configs keep them all (version 1). */
    @Test
    void imageConfigsLeaveOutTheFieldsTheirModelDoesNotUse() {
        java.util.List<String> mlp = java.util.List.of("width", "depth_g", "depth_d", "activation", "slope", "clip");
        TrainConfig dcgan = TrainConfig.defaults("fashion-mnist");
        Map<String, Object> m = dcgan.toMap();
        for (String f : mlp) {
            assertFalse(m.containsKey(f), f + " is written for a dcgan run: " + m);
        }
        assertTrue(m.keySet().containsAll(java.util.List.of("latent", "g_width", "d_width", "label_smoothing", "tf32", "init")), m.toString());
        assertEquals(dcgan, TrainConfig.fromMap(Json.parseObject(Json.write(m))));

        TrainConfig conv = TrainConfig.mlpConvDefaults(dcgan).with("depth_g", "3").with("slope", "0.1");
        Map<String, Object> mc = conv.toMap();
        assertEquals(java.util.List.of(false, true, true, false, true, false), mlp.stream().map(mc::containsKey).toList(), mc.toString());
        assertEquals(conv, TrainConfig.fromMap(Json.parseObject(Json.write(mc))));
        mc.remove("depth_g"); // a field mlp-conv uses is still required
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrainConfig.fromMap(mc)).getMessage().contains("'depth_g'"));

        TrainConfig wgan = TrainConfig.defaults("fashion-mnist", LossKind.WASSERSTEIN);
        assertEquals(0.01, ((Number) wgan.toMap().get("clip")).doubleValue(), 1e-9); // clip applies to the wasserstein critic
        assertEquals(wgan, TrainConfig.fromMap(Json.parseObject(Json.write(wgan.toMap()))));

        // an image config written before, with every field, reads as the same run and writes without them
        Map<String, Object> old = Json.parseObject(Json.write(dcgan.settings()));
        assertTrue(old.keySet().containsAll(mlp), old.toString());
        assertEquals(dcgan, TrainConfig.fromMap(old));
        assertEquals(Json.write(m), Json.write(TrainConfig.fromMap(old).toMap()));
        // a value other than the default one reading fills in is kept (never lost to the round trip)
        TrainConfig wide = dcgan.with("width", "64");
        assertEquals(64, wide.toMap().get("width"));
        assertEquals(wide, TrainConfig.fromMap(Json.parseObject(Json.write(wide.toMap()))));

        // a mixture uses every field: its config is exactly the first jgan's (LegacyFilesTest: byte for byte)
        TrainConfig ring = TrainConfig.defaults("ring8");
        assertEquals(ring.settings(), ring.toMap());
        assertTrue(ring.toMap().keySet().containsAll(mlp));
    }
}
