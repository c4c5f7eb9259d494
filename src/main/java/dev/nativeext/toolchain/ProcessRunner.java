package dev.nativeext.toolchain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a tool from an argument list (never through a shell), with stdout and stderr merged into a
 * log file so that a chatty compiler can never block on a full pipe.
 */
public final class ProcessRunner {

    /** What a finished process left: its exit code and everything it printed. */
    public record Result(int exitCode, String output, Path log) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    private static final long TIMEOUT_MINUTES = Long.getLong("nativeext.tool.timeoutMinutes", 30);

    private ProcessRunner() {
    }

    /**
     * Runs {@code command} in {@code workDir}; its output goes to {@code log} (kept for the user
     * when the tool fails). A tool that outlives the timeout is killed and reported as failed.
     */
    public static Result run(List<String> command, Path workDir, Path log) {
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            ProcessBuilder pb = new ProcessBuilder(command)
                    .directory(workDir == null ? null : workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            // Compilers localise messages; the diagnostics parser reads the C locale's words.
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            boolean done;
            try {
                done = p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + command.get(0), e);
            }
            if (!done) {
                p.destroyForcibly();
                Files.writeString(log, "\nnativeext: killed after " + TIMEOUT_MINUTES + " minutes\n",
                        java.nio.file.StandardOpenOption.APPEND);
                return new Result(-1, Files.readString(log, StandardCharsets.UTF_8), log);
            }
            return new Result(p.exitValue(), new String(Files.readAllBytes(log), StandardCharsets.UTF_8), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
    }
}
