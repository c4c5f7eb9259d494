package dev.nativeext.model.config;

import dev.nativeext.model.Backbone;
import dev.nativeext.model.Fixtures;
import dev.nativeext.model.Weights;
import dev.nativeext.tensor.Tensor;
import dev.nativeext.testing.Gen;
import dev.nativeext.testing.SeededCases;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutated config files (values swapped for others of any type, numbers at their edges, YAML
 * fragments spliced in) are loaded or refused with a {@link ConfigException} at a line of the
 * file; a config that loads builds its backbone, or is refused with a ConfigException naming a
 * key, and a backbone that builds runs a forward on a small image (seeded weights), or refuses
 * the image's size by name. Nothing else is thrown: no ArithmeticException, ClassCastException,
 * NegativeArraySizeException of the model's own. The configs are the tiny fixture backbones, and
 * sizes are drawn at most 64, so every case stays small. Drawn by {@link SeededCases} from a
 * fixed seed; a failing case names its seed and its edits.
 */
class ConfigFuzzTest {

    private static final List<String> SEEDS = List.of("r50_fpn_gn", "r50_c4_frozen_bn", "r50_c5_dcn_dg2", "resnext_32x4_tiny",
            "r50_fpn_retinanet");
    private static final List<String> TEXTS = SEEDS.stream().map(ConfigFuzzTest::read).toList();

    /** Values an edit puts in place of a key's: of the key's own kind most often (so that the
     * config loads and the model's checks are reached), of any kind otherwise. */
    private static final List<String> NUMBERS = List.of("0", "-1", "1", "2", "3", "4", "5", "6", "8", "16", "64", "2147483648",
            "1099511627776", "-2147483649", "1048577");
    private static final List<String> NAMES = List.of("\"R-50-C4\"", "\"R-50-C5\"", "\"R-101-FPN\"", "\"R-50-FPN-RETINANET\"",
            "\"R-152-FPN\"", "\"TINY-2\"", "\"StemWithGN\"", "\"StemWithFixedBatchNorm\"", "\"BottleneckWithGN\"",
            "\"BottleneckWithFixedBatchNorm\"", "\"Nope\"", "\"\"");
    private static final List<String> TUPLES = List.of("(False, True)", "(False, True, True, True)", "(True, True, True, True)",
            "(True, True, True, True, True)", "()", "[]", "(0.25, 0.125)", "(0.25, 0.125, 0.0625, 0.03125)", "(0.5, 0.25, 0.125, 0.0625)",
            "(1.0,)", "(0.3,)", "(0.0625,)", "(1, 2)");
    private static final List<String> OTHERS = List.of("1.5", "0.0", "-0.25", "1e-5", "True", "False", "None", "\"abc\"", "{A: 1}",
            "[1, [2, [3]]]", "'(1,'");

    private static String valueLike(Gen g, String old) {
        List<String> kind = old.matches("-?\\d+") ? NUMBERS : old.startsWith("\"") ? NAMES : old.startsWith("(") ? TUPLES
                : old.equals("True") || old.equals("False") ? List.of("True", "False") : OTHERS;
        List<String> from = g.chance(0.75) ? kind : List.of(NUMBERS, NAMES, TUPLES, OTHERS).get(g.ints(0, 3));
        return from.get(g.ints(0, from.size() - 1));
    }

    private static final List<String> FRAGMENTS = List.of(":", "- ", "\n  EXTRA: 1\n", "\n    NUM_GROUPS: 2\n", "\"", "'", "{", "[", "&a ",
            "*a", "!!python/object:os.system ", "\t", "\n", "#", "%YAML 1.1\n", "---\n", "\n  RESNETS:\n    BOGUS: 1\n");

    private static final Pattern VALUE = Pattern.compile("(?m)^([ ]*[A-Z_0-9]+:)[ \\t]*(\\S.*)$");

    /** A mutated config: its seed fixture, edits and text. */
    record Mutation(String seed, List<String> edits, String text) {
        @Override
        public String toString() {
            return seed + " " + edits + "\n" + text;
        }
    }

    private static Mutation mutated(Gen g) {
        int which = g.ints(0, SEEDS.size() - 1);
        String text = TEXTS.get(which);
        List<String> edits = new ArrayList<>();
        int n = g.size(1, 3);
        for (int i = 0; i < n; i++) {
            if (g.chance(0.8)) {
                List<int[]> spans = new ArrayList<>();
                Matcher m = VALUE.matcher(text);
                while (m.find()) spans.add(new int[] {m.start(2), m.end(2)});
                if (spans.isEmpty()) continue;
                int[] s = spans.get(g.ints(0, spans.size() - 1));
                String v = valueLike(g, text.substring(s[0], s[1]));
                edits.add(text.substring(s[0], s[1]) + " -> " + v);
                text = text.substring(0, s[0]) + v + text.substring(s[1]);
            } else {
                int at = g.ints(0, text.length());
                String f = FRAGMENTS.get(g.ints(0, FRAGMENTS.size() - 1));
                edits.add("at " + at + " insert " + f.replace("\n", "\\n"));
                text = text.substring(0, at) + f + text.substring(at);
            }
        }
        return new Mutation(SEEDS.get(which), edits, text);
    }

    @TestFactory
    Stream<DynamicTest> aMutatedConfigLoadsBuildsAndRunsOrIsRefusedByName() {
        Fixtures.registerTinySpec();
        return SeededCases.of(0xC0F16L, 250, ConfigFuzzTest::mutated, m -> assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            String source = m.seed() + "/config.yaml";
            BackboneConfig cfg;
            try {
                cfg = ConfigLoader.parse(m.text(), source);
            } catch (ConfigException e) {
                assertTrue(e.getMessage().startsWith(source + ":"), () -> "the message names the file: " + e.getMessage());
                return;
            }
            Backbone b;
            try {
                b = Backbone.build(cfg);
            } catch (ConfigException e) {
                assertTrue(e.getMessage().contains(source) && e.getMessage().contains("MODEL."), () -> "the message names the key: " + e.getMessage());
                return;
            }
            try (b) {
                Weights.seed(1, b);
                try (Tensor x = Tensor.uniform(2, -1, 1, 1, 3, 64, 64)) {
                    b.forward(x).forEach(Tensor::close);
                }
            }
        }, "took more than 30 s"));
    }

    private static String read(String fixture) {
        try {
            return Files.readString(Fixtures.fixture(fixture, "config.yaml"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
