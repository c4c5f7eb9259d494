package dev.nativeext.data.coco;

import dev.nativeext.data.image.DetectionSample;
import dev.nativeext.data.image.DetectionTransform;
import dev.nativeext.data.image.ImageDecodeException;
import dev.nativeext.data.image.Normalize;
import dev.nativeext.data.image.Resize;
import dev.nativeext.data.image.TestImages;
import dev.nativeext.testing.Gen;
import dev.nativeext.testing.SeededCases;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutated COCO instances files (numbers at their edges, values of other types, fields and
 * brackets removed or added) are read or refused with a {@link CocoFormatException} naming the
 * file; every image of a file that is read is loaded (plain and resized), or refused with an
 * {@link ImageDecodeException} naming it. Nothing else is thrown: no NullPointerException,
 * ClassCastException, IndexOutOfBounds or NegativeArraySize of the reader's own. Drawn by
 * {@link SeededCases} from a fixed seed (the file of {@link CocoDatasetTest}); a failing case
 * names its seed and its edits.
 */
class CocoFuzzTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void images() throws Exception {
        TestImages.write(TestImages.synthetic(40, 30, 1), dir.resolve("c.jpg"));
        TestImages.write(TestImages.synthetic(20, 36, 2), dir.resolve("a.png"));
        TestImages.write(TestImages.synthetic(24, 24, 3), dir.resolve("b.png"));
        TestImages.write(TestImages.synthetic(16, 12, 4), dir.resolve("d.png"));
    }

    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?");
    private static final List<String> NUMBERS = List.of("0", "-1", "1", "-0.5", "1e308", "-1e308", "1e-320", "2147483648",
            "9223372036854775807", "99999999999999999999", "3.5", "100000");
    private static final List<String> FRAGMENTS = List.of("null", "true", "\"x\"", "[]", "{}", "[[]]", "[[1, 2]]", "[1, 2, 3]",
            "\"iscrowd\": 1, ", "\"bbox\": null, ", "\"segmentation\": [[1]], ", "\"segmentation\": {\"counts\": \"abc\"}, ",
            "\"image_id\": 99, ", "\"category_id\": 99, ", "\"width\": 0, ", "\"file_name\": \"../c.jpg\", ", "\"file_name\": \"nope.png\", ",
            "{\"id\": 10, \"file_name\": \"a.png\", \"width\": 20, \"height\": 36}, ", ",", "]", "}", "\"");

    record Mutation(List<String> edits, String text) {
        @Override
        public String toString() {
            return edits + "\n" + text;
        }
    }

    private static Mutation mutated(Gen g) {
        String text = CocoDatasetTest.json();
        List<String> edits = new ArrayList<>();
        int n = g.size(1, 3);
        for (int i = 0; i < n; i++) {
            switch (g.ints(0, 2)) {
                case 0 -> {
                    List<int[]> spans = new ArrayList<>();
                    Matcher m = NUMBER.matcher(text);
                    while (m.find()) spans.add(new int[] {m.start(), m.end()});
                    int[] s = spans.get(g.ints(0, spans.size() - 1));
                    String v = g.chance(0.8) ? NUMBERS.get(g.ints(0, NUMBERS.size() - 1)) : FRAGMENTS.get(g.ints(0, 7));
                    edits.add(text.substring(s[0], s[1]) + " at " + s[0] + " -> " + v);
                    text = text.substring(0, s[0]) + v + text.substring(s[1]);
                }
                case 1 -> { // a field's name and value removed
                    List<int[]> spans = new ArrayList<>();
                    Matcher m = Pattern.compile("\"[a-z_]+\": ([^,{}\\[\\]]+|\\[[^\\[\\]]*\\]|\\{[^{}]*\\})(, )?").matcher(text);
                    while (m.find()) spans.add(new int[] {m.start(), m.end()});
                    int[] s = spans.get(g.ints(0, spans.size() - 1));
                    edits.add("removed " + text.substring(s[0], s[1]));
                    text = text.substring(0, s[0]) + text.substring(s[1]);
                }
                default -> {
                    int at = g.ints(0, text.length());
                    String f = FRAGMENTS.get(g.ints(0, FRAGMENTS.size() - 1));
                    edits.add("at " + at + " insert " + f);
                    text = text.substring(0, at) + f + text.substring(at);
                }
            }
        }
        return new Mutation(edits, text);
    }

    @TestFactory
    Stream<DynamicTest> aMutatedAnnotationFileIsReadOrRefusedByName() {
        return SeededCases.of(0xC0C0L, 300, CocoFuzzTest::mutated, m -> assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Path ann = Files.writeString(dir.resolve("instances.json"), m.text());
            for (DetectionTransform t : List.of(new DetectionTransform(null, 0, Normalize.maskRcnn(), 0),
                    new DetectionTransform(new Resize(new int[] {32}, 64), 0, Normalize.maskRcnn(), 0))) {
                for (boolean skip : new boolean[] {false, true}) {
                    CocoDataset d;
                    try {
                        d = new CocoDataset(ann, dir, skip, t);
                    } catch (CocoFormatException e) {
                        assertTrue(e.getMessage().contains(ann.toString()), () -> "the message names the file: " + e.getMessage());
                        return;
                    }
                    for (int i = 0; i < d.size(); i++) {
                        try (DetectionSample s = d.get(i)) {
                            assertTrue(s.image() != null);
                        } catch (ImageDecodeException e) {
                            assertTrue(e.getMessage().contains(dir.toString()), () -> "the message names the image: " + e.getMessage());
                        }
                    }
                }
            }
        }, "took more than 20 s"));
    }
}
