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
class CommandLineTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int jgan(String... args) {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

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
        assertTrue(err().contains("--width 33000 with --depth 3 gives G 2,178,") && err().contains("at most 1,073,741,823 elements"),
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
        assertFalse(Files.exists(run));
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
        assertEquals("1:01:01", Progress.clock(3661));
        assertEquals("0:59", Progress.clock(59.4));
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
        Matcher m = Pattern.compile("(?m)^\\| `RUN/([^`]+)`").matcher(readme);
        while (m.find()) {
            documented.add(m.group(1));
        }
        Path run = dir.resolve("files");
        assertEquals(0, jgan(RunSafetyTest.tiny(run, 20).toArray(String[]::new)), err());
        Set<String> written = new TreeSet<>();
        try (var walk = Files.walk(run)) {
            walk.filter(Files::isRegularFile).forEach(p -> written.add(run.relativize(p).toString()
                    .replaceAll("step_\\d{7}\\.csv", "samples_step").replace("samples/samples_step", "samples/step_NNNNNNN.csv")));
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
    }
}
