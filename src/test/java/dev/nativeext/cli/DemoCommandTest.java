package dev.nativeext.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code nativeext demo} on two small images: it runs the loader and the pooler and writes the report. */
class DemoCommandTest {

    @Test
    void writesAReportWithEveryImage(@TempDir Path tmp) throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images"));
        ImageIO.write(DemoImages.scene(160, 120, 1), "jpg", images.resolve("a.jpg").toFile());
        ImageIO.write(DemoImages.scene(90, 140, 2), "png", images.resolve("b.png").toFile());
        Path out = tmp.resolve("out");
        // a small size keeps the backbone fast; the config is the bundled R-50-FPN
        int status = DemoCommand.run(new String[]{"--images", images.toString(), "--out", out.toString(), "--workers", "1", "--size", "96"});
        assertEquals(0, status);
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("a.jpg: 160x120 -&gt; 128x96"), "report lacks the first image");
        assertTrue(html.contains("b.png: 90x140 -&gt; 96x149"), "report lacks the second image");
        assertTrue(html.contains("R-50-FPN") && html.contains("seeded weights"), "the report must name the backbone and its weights");
        assertTrue(html.contains("p2 (mean") && html.contains("p6 (mean"), "the report must show the FPN levels");
        CliOptions.UsageException e = assertThrows(CliOptions.UsageException.class, () -> DemoCommand.run(new String[]{"--bogus", "x"}));
        assertEquals("unknown option --bogus", e.getMessage());
        e = assertThrows(CliOptions.UsageException.class, () -> DemoCommand.run(new String[]{"--images", tmp.resolve("none").toString()}));
        assertEquals("--images " + tmp.resolve("none") + ": no such folder", e.getMessage());
    }

}
