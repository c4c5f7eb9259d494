package dev.nativeext.cli;

import dev.nativeext.model.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResNetCommandTest {

    @Test
    void runsAFixtureBackboneOnTheBundledImage(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("grid.png"), saved = dir.resolve("w.safetensors");
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int status;
        try {
            System.setOut(new PrintStream(buf, true));
            status = ResNetCommand.run(new String[] {"--config", Fixtures.fixture("r50_fpn_gn", "config.yaml").toString(),
                    "--weights", Fixtures.fixture("r50_fpn_gn", "weights.pth").toString(), "--size", "96", "--max-size", "160",
                    "--out", png.toString(), "--save", saved.toString()});
        } finally {
            System.setOut(old);
        }
        String out = buf.toString();
        assertEquals(0, status, out);
        assertTrue(out.contains("frozen: nothing (FREEZE_CONV_BODY_AT 0)"), out);
        assertTrue(out.contains("p2 [1, 8, 24, 32]") && out.contains("p6 [1, 8, 2, 2]"), out);
        assertTrue(out.contains("layer4") && out.contains("fpn"), out);
        assertTrue(out.contains("first forward ") && out.indexOf("first forward ") < out.indexOf("  stem"), out);
        assertNotNull(ImageIO.read(png.toFile()));
        assertTrue(Files.size(saved) > 100_000);
        // the saved safetensors loads back into the same backbone
        status = ResNetCommand.run(new String[] {"--config", Fixtures.fixture("r50_fpn_gn", "config.yaml").toString(),
                "--weights", saved.toString(), "--size", "64", "--out", png.toString()});
        assertEquals(0, status);
    }

    /** What a load ignored, by family, the largest first: torchvision's ImageNet file in a C4 body. */
    @Test
    void summarisesTheIgnoredKeysByFamily() {
        java.util.List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) keys.add("layer4." + i + ".conv1.weight");
        keys.add("fc.weight");
        keys.add("fc.bias");
        for (int i = 0; i < 4; i++) keys.add("layer" + (i + 1) + ".0.bn1.num_batches_tracked");
        keys.add("rpn");
        assertEquals("*.num_batches_tracked 4, layer4.* 3, fc.* 2, rpn 1", ResNetCommand.families(keys));
    }

    /** A wrong option stops the command before the backbone is built, naming the option. */
    @Test
    void refusesAWrongOptionByName(@TempDir Path dir) throws Exception {
        String config = Fixtures.fixture("r50_fpn_gn", "config.yaml").toString();
        assertUsage("--config <yaml> is required", "--size", "64");
        assertUsage("unknown option --colour", "--config", config, "--colour", "red");
        assertUsage("missing value after --size", "--config", config, "--size");
        assertUsage("--config " + dir.resolve("none.yaml") + ": no such file", "--config", dir.resolve("none.yaml").toString());
        assertUsage("--image " + dir + ": is a folder, not a file", "--config", config, "--image", dir.toString());
        assertUsage("--threads x: expects an integer", "--config", config, "--threads", "x");
        assertUsage("--size -5: must be at least 1", "--config", config, "--size", "-5");
        assertUsage("--out " + dir.resolve("none/f.png") + ": its folder " + dir.resolve("none") + " does not exist",
                "--config", config, "--out", dir.resolve("none/f.png").toString());
        assertUsage("--save " + dir + ": is a folder, not a file", "--config", config, "--save", dir.toString());
        // an image that does not decode: the decoder's error, naming it, before the build
        Path notAnImage = Files.writeString(dir.resolve("notes.png"), "not a PNG");
        dev.nativeext.data.image.ImageDecodeException e = assertThrows(dev.nativeext.data.image.ImageDecodeException.class,
                () -> ResNetCommand.run(new String[] {"--config", config, "--image", notAnImage.toString()}));
        assertTrue(e.getMessage().startsWith(notAnImage + ": not a JPEG or PNG image"), e.getMessage());
    }

    private static void assertUsage(String message, String... args) {
        CliOptions.UsageException e = assertThrows(CliOptions.UsageException.class, () -> ResNetCommand.run(args));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
        assertTrue(e.usage().startsWith("usage: nativeext resnet --config"), e.usage());
    }
}
