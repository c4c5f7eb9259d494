package dev.nativeext.cli;

import dev.nativeext.data.SampleException;
import dev.nativeext.data.image.ImageDecodeException;
import dev.nativeext.model.config.ConfigException;
import dev.nativeext.model.io.CheckpointException;

import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;

/**
 * {@code nativeext <command>}: {@code example} (the default) builds and calls the example
 * extension; {@code doctor} reports the toolchain; {@code bench} measures build and call times.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "example" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        System.exit(runReporting(command, rest, System.err));
    }

    /**
     * Runs {@code command}; its exit status. What the user gave wrong (an option, a config, a
     * checkpoint, a missing file, an image that does not decode) is printed to {@code err} as one
     * message, not a stack trace: those exceptions name the option, the file:line, the tensor or
     * the image.
     */
    static int runReporting(String command, String[] rest, PrintStream err) throws Exception {
        try {
            return run(command, rest);
        } catch (CliOptions.UsageException e) {
            err.println("nativeext " + command + ": " + e.getMessage());
            err.println(e.usage());
            return 2;
        } catch (ConfigException | CheckpointException | ImageDecodeException e) {
            err.println("nativeext " + command + ": " + e.getMessage());
            return 1;
        } catch (NoSuchFileException e) {
            err.println("nativeext " + command + ": no such file: " + e.getFile());
            return 1;
        } catch (SampleException e) {
            // an image of the user's folder that cannot be decoded: its own message names it
            if (!(e.getCause() instanceof ImageDecodeException d)) throw e;
            err.println("nativeext " + command + ": sample " + e.index() + ": " + d.getMessage());
            return 1;
        }
    }

    private static int run(String command, String[] rest) throws Exception {
        return switch (command) {
            case "example" -> ExampleCommand.run(rest);
            case "example-call" -> ExampleCommand.callInFreshJvm(rest);
            case "doctor" -> DoctorCommand.run();
            case "demo" -> DemoCommand.run(rest);
            case "bench" -> BenchCommand.run(rest);
            case "bench-child" -> BenchCommand.child(rest);
            case "resnet" -> ResNetCommand.run(rest);
            case "help", "-h", "--help" -> {
                usage();
                yield 0;
            }
            default -> {
                System.err.println("unknown command '" + command + "'");
                usage();
                yield 2;
            }
        };
    }

    private static void usage() {
        System.out.println("""
                usage: nativeext [command]
                  example   build the example extension under examples/vecmath, call it, and show a cold
                            build next to a cache hit in a fresh JVM (default)
                  doctor    report the compilers, JavaCPP, the cache folder and whether CUDA is usable
                  bench     measure cold build, cache hits and call overhead (plain JavaCPP as the anchor)
                  bench ops broadcast add on the CPU against a memory copy of the same bytes
                  demo [--images <folder>] [--config <yaml>] [--weights <file>] [--out <folder>]
                            images through the DataLoader, the R-50-FPN backbone and the pooler, with a
                            progress bar and an HTML report (target/demo/report.html)
                  resnet    --config <yaml> [--weights <.pth|.safetensors>] [--image <file>]: a maskrcnn-benchmark
                            backbone on an image: output shapes, time per stage, frozen stages, a PNG of features""");
    }
}
