package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jgan.gan.TrainConfig;
import jgan.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Help, choices, messages, limits and per-loss defaults of the command line (issue 7 items 9, 12, 14, 15, 16). */
class CommandLineTest extends CliTestBase {





    private int train(Path run, String... extra) {
        return jgan(RunSafetyTest.tiny(run, 10, extra).toArray(String[]::new));
    }

    private Map<String, Object> config(Path run) throws IOException {
        return Json.parseObject(Files.readString(run.resolve("config.json")));
    }

    // --- item 14: help for every command, with every option, its default and its choices

    @Test
    void everyCommandHasHelpListingEveryOptionWithDefaultsAndChoices() {
        CommandLine root = new CommandLine(Main.class);
        assertEquals(0, jgan("--help"), err());
        for (String name : List.of("info", "train", "eval", "bench", "help")) {
            assertTrue(root.getSubcommands().containsKey(name), name);
            assertTrue(out().contains("  " + name + " "), "global usage lists " + name + ": " + out());
        }
        for (String name : root.getSubcommands().keySet()) {
            assertEquals(0, jgan(name, "--help"), name + ": " + err());
            String help = out();
            assertTrue(help.contains("Usage: jgan " + name), help);
            for (OptionSpec o : root.getSubcommands().get(name).getCommandSpec().options()) {
                assertTrue(help.contains(o.longestName()), name + " --help lacks " + o.longestName() + ": " + help);
            }
            if (!name.equals("help")) {
                assertEquals(0, jgan("help", name), name + ": " + err());
                assertEquals(help, out(), "`jgan help " + name + "` is `jgan " + name + " --help`");
            }
        }
        assertEquals(0, jgan("train", "--help"));
        String help = out().replaceAll("\\s+", " ");
        assertTrue(help.contains("nonsaturating, minimax, wasserstein, hinge, lsgan"), help);
        assertTrue(help.contains("pytorch, xavier, normal_002") && help.contains("relu, leakyrelu, tanh") && help.contains("auto, gpu, cpu, host")
                && help.contains("ring8, grid25"), help);
        // every default shown is the one TrainConfig uses
        Map<String, Object> defaults = TrainConfig.defaults("ring8").toMap();
        for (String key : List.of("batch", "lr_g", "lr_d", "beta1", "beta2", "seed", "latent", "width", "depth_g", "depth_d", "slope",
                "n_critic", "label_smoothing", "tf32", "steps", "log_every", "checkpoint_every")) {
            String option = "--" + key.replace('_', '-');
            Matcher m = Pattern.compile("(?<!\\[)" + Pattern.quote(option) + "=\\S+ [A-Z](?:(?! --[a-z]).)*?\\(default: ([^;)]+)[;)]")
                    .matcher(help);
            assertTrue(m.find(), option + " shows a default: " + help);
            assertEquals(defaults.get(key).toString(), m.group(1), option);
        }
    }

    // --- item 14: unknown choices list the valid ones; '-' and '_' alike; messages name the typed option

    @Test
    void choicesAndMessagesNameWhatTheUserTyped() throws IOException {
        Path run = dir.resolve("r");
        assertEquals(2, train(run, "--init", "kaiming"));
        assertTrue(err().contains("--init: unknown init 'kaiming': use pytorch, xavier, normal_002"), err());
        assertEquals(2, train(run, "--activation", "gelu"));
        assertTrue(err().contains("--activation: unknown activation 'gelu': use relu, leakyrelu, tanh"), err());
        assertEquals(2, train(run, "--loss", "magic"));
        assertTrue(err().contains("use nonsaturating, minimax, wasserstein, hinge, lsgan"), err());
        assertEquals(2, train(run, "--device", "tpu"));
        assertTrue(err().contains("--device: unknown device 'tpu': use auto, gpu, cpu, host"), err());

        assertEquals(0, train(dir.resolve("dash"), "--init", "normal-002"), err());
        assertEquals(0, train(dir.resolve("underscore"), "--init", "NORMAL_002"), err());
        assertEquals("normal_002", config(dir.resolve("dash")).get("init"));
        assertEquals(config(dir.resolve("dash")), config(dir.resolve("underscore")));

        assertEquals(2, train(run, "--lr", "-1"));
        assertTrue(err().contains("--lr must be a positive finite number, got -1.0") && !err().contains("lr_g"), err());
        assertEquals(2, train(run, "--lr-d", "0"));
        assertTrue(err().contains("--lr-d must be a positive finite number"), err());
        assertEquals(2, train(run, "--n-critic", "0"));
        assertTrue(err().contains("--n-critic must be >= 1, got 0") && !err().contains("n_critic"), err());
        assertEquals(2, train(run, "--steps", "3000000000"));
        assertTrue(err().contains("--steps must be at most 2,147,483,647, got 3,000,000,000"), err());
        assertEquals(2, train(run, "--tf32", "maybe"));
        assertTrue(err().contains("--tf32: 'maybe' is not true or false"), err());
        assertFalse(Files.exists(run), "nothing written by refused starts");
    }

    // --- item 9: sizes are counted in long and refused with the option and the limit; out of memory says what to lower

    @Test
    void sizesThatOverflowAreRefusedWithTheLimit() {
        Path run = dir.resolve("big");
        assertEquals(2, train(run, "--width", "33000", "--depth", "3"));
        assertTrue(err().contains("--width 33000 and --depth 3 give G 2,178,") && err().contains("at most 1,073,741,823 elements"),
                err());
        assertFalse(err().contains("shape ["), err());
        assertEquals(2, train(run, "--batch", "200000000"));
        assertTrue(err().contains("lower --batch or --width"), err());
        assertEquals(2, train(run, "--batch", "3000000000"));
        assertTrue(err().contains("--batch must be at most 2,147,483,647"), err());
        // fits the element limit, not the heap: refused at once with advice, no stack trace
        assertEquals(1, train(run, "--batch", "2000000", "--width", "500"));
        assertTrue(err().contains("out of memory") && err().contains("lower --batch or --width") && err().contains("JGAN_JAVA_OPTS"), err());
        assertFalse(err().contains("\tat "), err());
        // second attack, item 10: the -Xmx figure is computed from the estimate (not a fixed 8g), and depth is named when it is the cause
        Matcher need = Pattern.compile("need about ([\\d,]+) MB.*JGAN_JAVA_OPTS=-Xmx(\\d+)g").matcher(err());
        assertTrue(need.find(), err());
        long mb = Long.parseLong(need.group(1).replace(",", ""));
        long gb = Long.parseLong(need.group(2));
        assertTrue(gb * 1024 * 0.8 >= mb && (gb - 1) * 1024 * 0.8 < mb, "-Xmx" + gb + "g for " + mb + " MB");
        assertEquals(1, train(run, "--depth", "100000", "--width", "64"));
        assertTrue(err().contains("lower --depth,") && !err().contains("lower --batch"), err());
        assertFalse(Files.exists(run));
    }

    // --- report item 12: a size refusal names the option that makes the tensor too big, with its value

    @Test
    void sizeRefusalsNameTheOptionThatIsTooBig() {
        Path run = dir.resolve("big");
        assertEquals(2, train(run, "--latent", "100000000", "--width", "128", "--depth", "3"));
        assertTrue(err().contains("--latent 100000000, --width 128 and --depth 3 give G") && err().contains("lower --latent or --width"),
                err());
        assertEquals(2, train(run, "--batch", "2147483647", "--width", "1", "--latent", "16"));
        assertTrue(err().contains("--batch 2147483647 x --latent 16 gives") && err().contains("lower --batch or --latent"), err());
        assertEquals(2, train(run, "--latent", "2", "--width", "1", "--depth", "1", "--batch", "1073741824"));
        assertTrue(err().contains("--batch 1073741824 x --latent 2 gives"), err());
        assertEquals(2, train(run, "--width", "600000", "--batch", "16"));
        assertTrue(err().contains("the 2500 evaluation samples x --width 600000") || err().contains("--width 600000 and --depth"), err());
    }

    // --- report item 16: the out-of-memory refusal does not contradict itself

    @Test
    void theOutOfMemoryRefusalSaysWhyItDoesNotFit() {
        long heap = Runtime.getRuntime().maxMemory();
        // 3 batches of 8-wide rows: about 650 bytes a row; a batch that needs ~90% of the heap (below the heap itself)
        long batch = (long) (heap * 0.9 / 650);
        assertEquals(1, train(dir.resolve("oom"), "--batch", "" + batch, "--width", "8"));
        Matcher m = Pattern.compile("need about ([\\d,]+) MB, more than the ([\\d,]+) MB a run may use \\(80% of the Java heap's ([\\d,]+) MB")
                .matcher(err());
        assertTrue(m.find(), err());
        long need = Long.parseLong(m.group(1).replace(",", "")), limit = Long.parseLong(m.group(2).replace(",", ""));
        assertTrue(need > limit, err());
        assertFalse(err().contains("out of memory: out of memory"), err());
        // the host runtime's allocator: said once, and no advice about the Java heap, which does not hold its tensors
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        CommandLine train = new CommandLine(Main.class).getSubcommands().get("train");
        assertEquals(1, Main.failed(new jgan.device.DeviceOutOfMemoryException("out of memory on host: could not allocate 1,000 bytes"),
                train, new PrintStream(b, true, StandardCharsets.UTF_8)));
        String host = b.toString(StandardCharsets.UTF_8);
        assertTrue(host.startsWith("jgan train: out of memory on host: could not allocate 1,000 bytes; lower --batch"), host);
        assertFalse(host.contains("JGAN_JAVA_OPTS") || host.contains("out of memory: out of memory"), host);
    }

    // --- item 12: per-loss defaults, printed; options without effect for the loss refused

    @Test
    void wassersteinHasItsOwnDefaultsAndUselessOptionsAreRefused() throws IOException {
        Path run = dir.resolve("wgan");
        assertEquals(0, train(run, "--loss", "wasserstein"), err());
        Map<String, Object> c = config(run);
        assertEquals(0.01, ((Number) c.get("clip")).doubleValue(), 1e-9);
        assertEquals(5L, c.get("n_critic"));
        assertEquals(0.0, ((Number) c.get("beta1")).doubleValue());
        String first = out().lines().findFirst().orElse("");
        assertTrue(first.contains("wasserstein loss (critic weights clipped to +-0.01, 5 critic steps per G step"), first);
        // given explicitly, they win
        assertEquals(0, train(dir.resolve("wgan2"), "--loss", "wasserstein", "--clip", "0.05", "--n-critic", "2"), err());
        assertEquals(2L, config(dir.resolve("wgan2")).get("n_critic"));
        // an option without effect for the loss is refused, naming it
        Path no = dir.resolve("no");
        assertEquals(2, train(no, "--loss", "hinge", "--clip", "0.01"));
        assertTrue(err().contains("--clip") && err().contains("no effect with --loss hinge"), err());
        assertEquals(2, train(no, "--clip", "0.01"));
        assertTrue(err().contains("no effect with --loss nonsaturating"), err());
        assertEquals(2, train(no, "--loss", "wasserstein", "--label-smoothing", "0.1"));
        assertTrue(err().contains("--label-smoothing"), err());
        assertEquals(2, train(no, "--slope", "0.1"));
        assertTrue(err().contains("--slope") && err().contains("--activation relu"), err());
        assertEquals(2, train(no, "--lr", "1e-3", "--lr-g", "1e-4"));
        assertTrue(err().contains("--lr sets both"), err());
        assertFalse(Files.exists(no));
    }

    // --- item 15: progress lines with elapsed time and ETA; a terminal gets one redrawn line

    @Test
    void progressShowsElapsedAndEta() throws IOException {
        assertEquals(0, train(dir.resolve("p")), err());
        assertTrue(out().matches("(?s).*step 10/10  \\d+ steps/s  elapsed \\d+:\\d\\d  ETA \\d+:\\d\\d  loss_D .*"), out());
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        PrintStream p = new PrintStream(b, true, StandardCharsets.UTF_8);
        Progress bar = new Progress(p, 0, 100, true);
        bar.line(50, 10, "x");
        bar.line(100, 10, "y");
        bar.done();
        String s = b.toString(StandardCharsets.UTF_8);
        assertTrue(s.startsWith("\r\033[2K[##########          ] step 50/100") && s.contains("\r\033[2K[####################] step 100/100"), s);
        assertEquals(1, s.chars().filter(ch -> ch == '\n').count(), "one line on a terminal: " + s);
        // report item 23: a redrawn line is cut to the terminal's width, so it never wraps
        b.reset();
        Progress narrow = new Progress(p, 0, 100, true, 60);
        narrow.line(50, 123456, "loss_D 0.6931  loss_G 0.6931  D(x) 0.500  D(G(z)) 0.500");
        narrow.done();
        for (String drawn : b.toString(StandardCharsets.UTF_8).split("\r\033\\[2K")) {
            assertTrue(drawn.strip().length() < 60, "fits 60 columns: '" + drawn + "'");
        }
        // second attack, item 15: on 50 columns the losses are kept and the bar, speed and times give way
        b.reset();
        Progress fifty = new Progress(p, 0, 100, true, 50);
        fifty.line(50, 123456, "loss_D 0.6931  loss_G 0.6931");
        fifty.done();
        String drawn50 = b.toString(StandardCharsets.UTF_8).replace("\r\033[2K", "").strip();
        assertTrue(drawn50.length() < 50 && drawn50.startsWith("step 50/100") && drawn50.contains("loss_D 0.6931  loss_G 0.6931"), drawn50);
        assertEquals(80, Progress.columns(null));
        assertEquals(132, Progress.columns("132"));
        assertEquals("1:01:01", Progress.clock(3661));
        assertEquals("0:59", Progress.clock(59.4));
    }

    // --- report, minor list: a missing command, type errors, typos, help texts

    @Test
    void minorMessagesSayWhatIsMeant() {
        assertEquals(2, jgan());
        assertTrue(err().contains("missing a command") && err().contains("Usage: jgan"), err());
        Path run = dir.resolve("m");
        assertEquals(2, train(run, "--steps", "1.5"));
        assertTrue(err().contains("'1.5' is not an integer") && !err().contains("long"), err());
        assertEquals(2, train(run, "--lr", "fast"));
        assertTrue(err().contains("'fast' is not a number") && !err().contains("float"), err());
        assertEquals(2, train(run, "--step", "10"));
        assertTrue(err().contains("did you mean") && err().contains("--steps"), err());
        assertEquals(0, jgan("eval", "--help"));
        assertTrue(out().contains("Exit status:"), out());
        assertEquals(0, jgan("bench", "--help"));
        assertFalse(out().contains("required for train;"), out());
    }

    // --- item 16: runs/ ignored; the README's file table and `info` example match the program

    static Path repo() {
        return Path.of(System.getProperty("basedir", "."), "..").toAbsolutePath().normalize();
    }

    @Test
    void runsAreIgnoredByGit() throws IOException {
        assertTrue(Files.readAllLines(repo().resolve(".gitignore")).contains("/runs/"), ".gitignore lists /runs/");
    }

    @Test
    void readmeFileTableAndInfoExampleMatchTheProgram() throws IOException {
        String readme = Files.readString(repo().resolve("README.md"));
        // the run-folder table: rows "| `RUN/name` | ... |"
        Set<String> documented = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\| `RUN/([^`]+)` \\| ([^\\n]*)$").matcher(readme);
        Set<String> withEval = new TreeSet<>();
        while (m.find()) {
            // the files of --eval-every are written only with it: EvalRunTest checks them; here they are only documented
            (m.group(2).contains("with `--eval-every N`") ? withEval : documented).add(m.group(1));
        }
        assertEquals(Set.of("eval.csv", "metrics.png"), withEval, "README's rows for --eval-every's files");
        Path run = dir.resolve("files");
        assertEquals(0, jgan(RunSafetyTest.tiny(run, 20).toArray(String[]::new)), err());
        // and an image run on a folder with an unreadable file (its pictures, data-report.txt)
        Path pictures = dir.resolve("pictures");
        Files.createDirectories(pictures);
        for (int i = 0; i < 4; i++) {
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(10, 10, java.awt.image.BufferedImage.TYPE_INT_RGB);
            img.setRGB(i, i, 0xffffff);
            javax.imageio.ImageIO.write(img, "png", pictures.resolve(i + ".png").toFile());
        }
        Files.writeString(pictures.resolve("x.png"), "not a png");
        Path images = dir.resolve("images");
        assertEquals(0, jgan("train", "--data", pictures.toString(), "--out", images.toString(), "--device", "cpu", "--image-size", "16",
                "--g-width", "2", "--d-width", "2", "--latent", "2", "--batch", "2", "--steps", "2", "--log-every", "1",
                "--checkpoint-every", "1"), err());
        Set<String> written = new TreeSet<>();
        for (Path r : List.of(run, images)) {
            try (var walk = Files.walk(r)) {
                walk.filter(Files::isRegularFile).forEach(p -> written.add(r.relativize(p).toString()
                        .replaceAll("step_\\d{7}\\.(csv|png)", "step_NNNNNNN.$1")));
            }
        }
        assertEquals(written, documented, "README's run-folder table");
        // the `jgan info` example: each line starts as the program's lines do
        Matcher ex = Pattern.compile("(?s)\\$ ./jgan info\\n(.*?)```").matcher(readme);
        assertTrue(ex.find(), "README has a `$ ./jgan info` example");
        assertEquals(0, jgan("info"));
        List<String> actual = out().lines().toList();
        List<String> missing = new ArrayList<>();
        for (String line : ex.group(1).lines().toList()) {
            String head = line.contains(":") ? line.substring(0, line.indexOf(':') + 1) : line.split(" ")[0];
            if (actual.stream().noneMatch(a -> a.startsWith(head))) {
                missing.add(line);
            }
        }
        assertTrue(missing.isEmpty(), "README info lines the program does not print: " + missing + "\nprogram:\n" + out());
        // report item 24: the devices in the program's order
        List<String> readmeDevices = ex.group(1).lines().filter(l -> l.matches("  \\w+: .*")).map(l -> l.trim().split(":")[0]).toList();
        List<String> devices = actual.stream().filter(l -> l.matches("  \\w+: .*")).map(l -> l.trim().split(":")[0]).toList();
        assertEquals(devices, readmeDevices, "README's info example lists the devices as the program does");
        // and the per-checkpoint samples are said to come from the periodic checkpoints only, as the program writes them
        assertTrue(readme.matches("(?s).*\\| `RUN/samples/step_NNNNNNN\\.csv` \\|[^\\n]*periodic checkpoint[^\\n]*--checkpoint-every.*"),
                "README's samples/ row");
    }

    // --- second attack, item 11: the README's exit-status list and `train --help` give the same statuses

    @Test
    void readmeExitStatusesMatchTrainHelp() throws IOException {
        String readme = Files.readString(repo().resolve("README.md"));
        Matcher bullet = Pattern.compile("(?s)\\n- Exit status:(.*?)(\\n\\n|\\n- )").matcher(readme);
        assertTrue(bullet.find(), "README has an exit-status bullet");
        assertEquals(0, jgan("train", "--help"));
        String help = out().substring(out().indexOf("Exit status:"));
        Set<String> documented = new TreeSet<>(), printed = new TreeSet<>();
        Matcher d = Pattern.compile("\\b(\\d{1,3})\\b").matcher(bullet.group(1));
        while (d.find()) {
            documented.add(d.group(1));
        }
        Matcher h = Pattern.compile("(?m)^\\s*([\\d/]+)\\s").matcher(help);
        while (h.find()) {
            printed.addAll(List.of(h.group(1).split("/")));
        }
        assertEquals(printed, documented, "README's exit statuses vs train --help:\n" + help);
        assertTrue(readme.contains("SIGHUP"), "README names SIGHUP");
    }

    // --- second attack, item 14: the option parser's wording does not reach the user

    @Test
    void parserErrorsAreInJgansWords() throws IOException {
        assertEquals(2, jgan("train", "--data", "ring8", "--out", dir.resolve("x").toString(), "--lr", "1e-3", "--lr", "2e-3"));
        assertTrue(err().contains("jgan train: --lr is given more than once: give it once"), err());
        assertEquals(2, jgan("train", "--data", "ring8", "--out", dir.resolve("x").toString(), "--step", "10"));
        assertTrue(err().contains("jgan train: unknown option '--step'") && err().contains("did you mean"), err());
        assertEquals(2, jgan("bench", "--out", "zz"));
        assertTrue(err().contains("jgan bench: unknown option '--out'"), err());
        assertEquals(2, jgan("help", "nosuch"));
        assertTrue(err().contains("unknown command 'nosuch'"), err());
        assertEquals(2, jgan("train", "--data", "ring8", "--out", dir.resolve("x").toString(), "--seed", "99999999999999999999"));
        assertTrue(err().contains("'99999999999999999999' is out of range: at most 9223372036854775807"), err());
        for (String text : List.of(err())) {
            assertFalse(text.contains("Unknown option") || text.contains("should be specified") || text.contains("Unknown subcommand"), text);
        }
        // a config.json integer past long is named as such, not shown as a double
        Path run = dir.resolve("big");
        assertEquals(0, jgan(RunSafetyTest.tiny(run, 10).toArray(String[]::new)), err());
        Path config = run.resolve("config.json");
        Files.writeString(config, Files.readString(config).replaceFirst("\"steps\": 10", "\"steps\": 9223372036854775808"));
        assertEquals(2, jgan("eval", "--run", run.toString()));
        assertTrue(err().contains("'steps' is 9223372036854775808, past the limit 9223372036854775807"), err());
        assertTrue(Files.notExists(dir.resolve("x")), "nothing created for refused options");
    }
}
