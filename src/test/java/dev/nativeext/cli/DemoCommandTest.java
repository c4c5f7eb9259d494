package dev.nativeext.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code nativeext demo} on two small images: it runs the loader and the pooler and writes the report. */
class DemoCommandTest {

    @Test
    void writesAReportWithEveryImage(@TempDir Path tmp) throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images"));
        ImageIO.write(DemoImages.scene(160, 120, 1), "jpg", images.resolve("a.jpg").toFile());
        ImageIO.write(DemoImages.scene(90, 140, 2), "png", images.resolve("b.png").toFile());
        Path out = tmp.resolve("out");
        int status = DemoCommand.run(new String[]{"--images", images.toString(), "--out", out.toString(), "--workers", "1"});
        assertEquals(0, status);
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("a.jpg: 160x120 -&gt; 1066x800"), "report lacks the first image");
        assertTrue(html.contains("b.png: 90x140 -&gt; 800x1244"), "report lacks the second image");
        assertTrue(html.contains("not wired in"), "the report must say the backbone is not run");
        assertEquals(2, DemoCommand.run(new String[]{"--bogus", "x"}));
    }

    @Test
    void poolerLevelsFollowMaskRcnnBenchmark() {
        assertEquals(2, DemoCommand.level(0, 0, 47, 47));          // sqrt(48*48) = 48 -> floor(4 + log2(0.21)) = 1 -> 2
        assertEquals(4, DemoCommand.level(0, 0, 223, 223));        // 224 -> 4
        assertEquals(2, DemoCommand.level(0, 0, 110, 110));        // 111 -> floor(2.99) = 2
        assertEquals(3, DemoCommand.level(0, 0, 112, 112));        // 113 -> floor(3.01) = 3
        assertEquals(5, DemoCommand.level(0, 0, 447, 447));        // 448 -> 5
        assertEquals(5, DemoCommand.level(0, 0, 2000, 2000));
    }
}
