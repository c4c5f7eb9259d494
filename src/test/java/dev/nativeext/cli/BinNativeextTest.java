package dev.nativeext.cli;

import dev.nativeext.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bin/nativeext, run against a copy of itself in a project whose pom says version 9.9 and with
 * stand-ins for mvn and java on PATH: it finds the jar by the pom's version, and rebuilds when the
 * pom, src/main or include/ is newer than the jar, and only then.
 */
class BinNativeextTest {

    @TempDir
    Path dir;

    @Test
    void theJarIsNamedByThePomsVersionAndRebuiltWhenIncludeChanges() throws Exception {
        Path home = dir.resolve("project");
        Files.createDirectories(home.resolve("bin"));
        Files.createDirectories(home.resolve("src/main/java"));
        Files.createDirectories(home.resolve("include"));
        Files.copy(Path.of("bin/nativeext"), home.resolve("bin/nativeext"));
        home.resolve("bin/nativeext").toFile().setExecutable(true);
        Files.writeString(home.resolve("pom.xml"), """
                <project>
                  <groupId>dev.nativeext</groupId>
                  <artifactId>nativeext</artifactId>
                  <version>9.9</version>
                  <dependencies><dependency><version>1.0</version></dependency></dependencies>
                </project>
                """);
        Path tools = dir.resolve("tools");
        Path log = dir.resolve("calls.log");
        ChildJvm.script(tools.resolve("mvn"), "#!/bin/sh\necho mvn \"$@\" >> " + log + "\nmkdir -p target && echo jar > target/nativeext-9.9.jar\n");
        ChildJvm.script(tools.resolve("java"), "#!/bin/sh\necho java \"$@\" >> " + log + "\n");

        run(home, tools);
        List<String> calls = Files.readAllLines(log);
        assertEquals(2, calls.size(), calls.toString());
        assertTrue(calls.get(0).startsWith("mvn -B -q -DskipTests"), calls.toString());
        assertTrue(calls.get(1).contains("-cp " + home.resolve("target/nativeext-9.9.jar") + ":"), calls.toString());

        Files.delete(log);
        run(home, tools);
        assertEquals(1, Files.readAllLines(log).size(), "an up-to-date jar is not rebuilt: " + Files.readAllLines(log));

        Files.delete(log);
        Path header = home.resolve("include/ne_new.h");
        Files.writeString(header, "int f(void);\n");
        Files.setLastModifiedTime(header, FileTime.from(Instant.now().plusSeconds(5)));
        run(home, tools);
        List<String> again = Files.readAllLines(log);
        assertTrue(again.size() == 2 && again.get(0).startsWith("mvn "), "a newer include/ header rebuilds: " + again);
    }

    private static void run(Path home, Path tools) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/nativeext").toString(), "doctor").redirectErrorStream(true);
        pb.environment().put("PATH", tools + ":/usr/bin:/bin");
        pb.environment().put("NVCC", "/nonexistent/nvcc");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
    }
}
