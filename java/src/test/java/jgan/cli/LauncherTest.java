package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./jgan} launcher (issue 7 items 10 and 15), run on a copy of itself with a fake
 * {@code mvn} (slow, writes the jar) and a fake {@code java} (prints its arguments), so no real
 * build happens.
 */
class LauncherTest {
    @TempDir
    Path dir;

    private Path root;
    private Path bin;

    private void setUp(double buildSeconds) throws IOException {
        Path script = Path.of(System.getProperty("basedir", "."), "..", "jgan").normalize();
        root = dir.resolve("repo");
        for (String d : List.of("java/src/main", "kernels", "native")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.writeString(root.resolve("java/src/main/A.java"), "class A {}");
        Files.writeString(root.resolve("java/pom.xml"), "<project/>");
        Files.writeString(root.resolve("pom.xml"), "<project/>");
        Files.copy(script, root.resolve("jgan"));
        bin = dir.resolve("bin");
        Files.createDirectories(bin);
        // mvn: counts its runs, takes a while, then writes the jar where the launcher looks for it
        script(bin.resolve("mvn"), "#!/usr/bin/env bash\necho \"mvn $*\" >> '" + dir.resolve("builds") + "'\necho '[INFO] --- exec:3.5.0:exec"
                + " (build-kernels) @ jgan ---'\nsleep " + buildSeconds + "\nmkdir -p java/target\necho jar > java/target/jgan-0.1.jar\n");
        script(bin.resolve("java"), "#!/usr/bin/env bash\necho \"java $*\"\n");
        script(root.resolve("jgan"), Files.readString(root.resolve("jgan")));
    }

    // --- report, minor list: a launcher stopped while it builds stops Maven too and leaves no partial build log

    @Test
    void aLauncherStoppedWhileBuildingStopsMavenAndLeavesNoLog() throws Exception {
        setUp(30);
        // the fake mvn records its pid, so the test can see it stopped
        script(bin.resolve("mvn"), "#!/usr/bin/env bash\necho $$ > '" + dir.resolve("mvn.pid") + "'\necho '[INFO] --- exec:3.5.0:exec"
                + " (build-kernels) @ jgan ---'\nsleep 30\n");
        Path console = dir.resolve("console.txt");
        ProcessBuilder pb = new ProcessBuilder(root.resolve("jgan").toString(), "info").redirectErrorStream(true)
                .redirectOutput(console.toFile()); // Process.destroy closes the pipes: read the output from a file
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process a = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(dir.resolve("mvn.pid")) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Thread.sleep(300);
        long mvn = Long.parseLong(Files.readString(dir.resolve("mvn.pid")).trim());
        a.destroy(); // SIGTERM to the launcher
        assertTrue(a.waitFor(60, TimeUnit.SECONDS), "the launcher stops");
        String out = Files.readString(console);
        assertEquals(143, a.exitValue(), out);
        assertTrue(out.contains("jgan: build stopped"), out);
        long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ProcessHandle.of(mvn).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < gone) {
            Thread.sleep(50);
        }
        assertFalse(ProcessHandle.of(mvn).map(ProcessHandle::isAlive).orElse(false), "Maven stopped with the launcher");
        try (var files = Files.list(root.resolve("java/target"))) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith("jgan-build.log")).toList(), "no build log left");
        }
    }

    private static void script(Path p, String text) throws IOException {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Process launch(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(root.resolve("jgan").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("JGAN_JAVA_OPTS", "-Xmx1g");
        pb.environment().put("JGAN_PROGRESS_EVERY", "1");
        return pb.start();
    }

    private static String finish(Process p) throws Exception {
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher finishes");
        return new String(p.getInputStream().readAllBytes());
    }

    @Test
    void twoLaunchesRacingTheFirstBuildBothRunAndBuildOnce() throws Exception {
        setUp(1.5);
        Process a = launch("info"), b = launch("train", "--help");
        String outA = finish(a), outB = finish(b);
        assertEquals(0, a.exitValue(), outA);
        assertEquals(0, b.exitValue(), outB);
        assertTrue(outA.contains("java -Djava.awt.headless=true -Xmx1g -jar " + root.resolve("java/target/jgan-0.1.jar") + " info"), outA);
        assertTrue(outB.contains(" train --help"), outB);
        assertEquals(1, Files.readAllLines(dir.resolve("builds")).size(), "one build for both: " + outA + outB);
    }

    // --- tester1 #12: the launcher's build leaves out the sanitizer host runtimes, which no command loads

    @Test
    void theLaunchersBuildSkipsTestsAndTheSanitizerRuntimes() throws Exception {
        setUp(0);
        Process a = launch("info");
        String out = finish(a);
        assertEquals(0, a.exitValue(), out);
        assertEquals(List.of("mvn -B -DskipTests -Djgan.sanitizers.skip=true package"), Files.readAllLines(dir.resolve("builds")), out);
        assertTrue(out.contains("-Djgan.sanitizers.skip=true"), "the first line says what it runs: " + out);
        // and the real pom has the profile that property turns on, unbinding exactly the sanitizer builds and test runs
        String pom = Files.readString(Path.of(System.getProperty("basedir", "."), "pom.xml"));
        int profile = pom.indexOf("<id>skip-sanitizer-runtimes</id>");
        assertTrue(profile > 0, "java/pom.xml has the profile skip-sanitizer-runtimes");
        String p = pom.substring(profile, pom.indexOf("</profile>", profile)).replaceAll("\\s+", "");
        assertTrue(p.contains("<property><name>jgan.sanitizers.skip</name><value>true</value></property>"), p);
        for (String id : List.of("build-host-runtime-sanitized", "build-host-runtime-racecheck", "sanitizer-conformance", "racecheck-conformance")) {
            assertTrue(p.contains("<id>" + id + "</id><phase>none</phase>"), id + " unbound: " + p);
            assertTrue(pom.substring(0, profile).contains("<id>" + id + "</id>"), id + " is an execution of the main build");
        }
        assertFalse(p.contains("<id>build-host-runtime</id>"), "the release host runtime is still built");
    }

    @Test
    void aLongBuildShowsProgressWithElapsedTime() throws Exception {
        setUp(3.5); // past the first progress lines, one a second here (output is not a terminal)
        Process a = launch("info");
        String out = finish(a);
        assertEquals(0, a.exitValue(), out);
        assertTrue(out.matches("(?s).*jgan: still building, [1-9] s: exec \\(build-kernels\\).*"), out);
        assertTrue(out.contains("jgan: built in "), out);
    }

    // --- second attack, item 10: options java refuses are named as JGAN_JAVA_OPTS

    @Test
    void javaOptionsJavaRefusesAreNamedAsTheUsersSetting() throws Exception {
        setUp(0);
        // java: refuses a heap size it cannot read, as the real one does (status 1 before main)
        script(bin.resolve("java"), "#!/usr/bin/env bash\nfor a in \"$@\"; do if [ \"$a\" = -Xmx10z ]; then echo \"Invalid maximum heap"
                + " size: -Xmx10z\" >&2; echo 'Error: Could not create the Java Virtual Machine.' >&2; exit 1; fi; done\necho \"java $*\"\n");
        ProcessBuilder pb = new ProcessBuilder(root.resolve("jgan").toString(), "info").redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("JGAN_JAVA_OPTS", "-Xmx10z");
        Process p = pb.start();
        String out = finish(p);
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("jgan: java refuses the options in JGAN_JAVA_OPTS='-Xmx10z': Invalid maximum heap size: -Xmx10z"), out);
        assertFalse(out.contains("java -Djava.awt.headless"), out);
    }
}
