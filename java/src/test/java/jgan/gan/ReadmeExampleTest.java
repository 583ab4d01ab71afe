package jgan.gan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import jgan.device.Device;
import jgan.device.Devices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Use a trained generator from Java" example, as a user meets it: the ```java block
 * is cut out of README.md, compiled with javax.tools.JavaCompiler against jgan's classes, and its
 * main run on a small trained run folder and on an exported .safetensors; each writes the 8 x 8
 * grid PNG it promises.
 */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    static String example() throws Exception {
        Path readme = Path.of("").toAbsolutePath();
        while (readme != null && !Files.isRegularFile(readme.resolve("README.md"))) {
            readme = readme.getParent();
        }
        assertNotNull(readme, "README.md above " + Path.of("").toAbsolutePath());
        String text = Files.readString(readme.resolve("README.md"), StandardCharsets.UTF_8);
        int section = text.indexOf("### Use a trained generator from Java");
        assertTrue(section >= 0, "README.md has the section 'Use a trained generator from Java'");
        int start = text.indexOf("```java\n", section);
        int end = text.indexOf("```\n", start + 8);
        assertTrue(start > 0 && end > start, "a ```java block in that section");
        return text.substring(start + 8, end);
    }

    @Test
    void readmeExampleCompilesAndRuns() throws Exception {
        String code = example();
        assertTrue(code.lines().count() <= 20, "a short example: " + code.lines().count() + " lines");
        Path src = dir.resolve("src/Samples.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, code);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK's compiler");
        String jganClasses = Path.of(Generator.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        StringWriter diagnostics = new StringWriter();
        boolean ok = javac.getTask(diagnostics, null, null, List.of("-classpath", jganClasses, "-d", classes.toString()), null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(src.toFile())).call();
        assertTrue(ok, "the README example compiles:\n" + diagnostics);

        Path run = dir.resolve("run");
        try (Device cpu = Devices.open("cpu")) {
            TinyRuns.write(run, TinyRuns.dcgan16(), cpu);
        }
        Path exported = dir.resolve("g.safetensors");
        Exports.write(TrainedRun.read(run), "g", exported);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            java.lang.reflect.Method main = loader.loadClass("Samples").getMethod("main", String[].class);
            for (Path source : new Path[] {run, exported}) {
                File png = dir.resolve(source.getFileName() + ".png").toFile();
                main.invoke(null, (Object) new String[] {source.toString(), png.toString()});
                BufferedImage img = ImageIO.read(png);
                assertNotNull(img, png + " is a PNG");
                assertEquals(8 * 16 + 7 * 2, img.getWidth(), "64 tiles of 16 px, 8 per row, 2-px lines");
                assertEquals(8 * 16 + 7 * 2, img.getHeight());
            }
            BufferedImage a = ImageIO.read(dir.resolve("run.png").toFile()), b = ImageIO.read(dir.resolve("g.safetensors.png").toFile());
            int w = a.getWidth(), h = a.getHeight();
            org.junit.jupiter.api.Assertions.assertArrayEquals(a.getRGB(0, 0, w, h, null, 0, w), b.getRGB(0, 0, w, h, null, 0, w),
                    "the run and its export draw the same grid");
        }
    }
}
