package dev.nativeext.maven;

import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

import java.io.File;
import java.util.List;

/**
 * Compiles nativeext extensions at build time. For each {@code <extension>}: builds its JNI
 * library through {@code NativeExtension.Builder} (the library's cache, so an unchanged rebuild
 * runs no compiler), writes the static binding class as source into
 * {@code generatedSourcesDirectory} (added to the compile source roots, so project code calls it
 * statically) and installs the library into {@code outputDirectory} at
 * {@code <package path>/linux-x86_64/lib<name>.so} ({@code linux-x86_64-cuda/} for the CUDA
 * variant), where the generated class finds it, in a jar or not, on a machine without a compiler.
 *
 * <p>The generated class calls {@code dev.nativeext.runtime.PackagedLibrary}: the project needs a
 * dependency on {@code dev.nativeext:nativeext}.
 *
 * @since 0.1.0
 */
@Mojo(name = "build", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public class BuildMojo extends AbstractMojo {

    /**
     * The extensions to build; each has the fields of {@code NativeExtension.create} and its
     * keyword arguments (see {@link Extension}).
     *
     * @since 0.1.0
     */
    @Parameter(required = true)
    private List<Extension> extensions;

    /**
     * Skips the goal: nothing is built, generated or installed.
     * Property {@code nativeext.skip}, default {@code false}.
     *
     * @since 0.1.0
     */
    @Parameter(property = "nativeext.skip", defaultValue = "false")
    private boolean skip;

    /**
     * Print every compiler command. Property {@code nativeext.verbose}, default {@code false}.
     *
     * @since 0.1.0
     */
    @Parameter(property = "nativeext.verbose", defaultValue = "false")
    private boolean verbose;

    /**
     * Where the binding sources are written; added as a compile source root.
     * Property {@code nativeext.generatedSourcesDirectory}, default
     * {@code ${project.build.directory}/generated-sources/nativeext}.
     *
     * @since 0.1.0
     */
    @Parameter(property = "nativeext.generatedSourcesDirectory",
            defaultValue = "${project.build.directory}/generated-sources/nativeext", required = true)
    private File generatedSourcesDirectory;

    /**
     * Where the libraries are installed, under {@code <package path>/<platform>[-cuda]/}.
     * Property {@code nativeext.outputDirectory}, default {@code ${project.build.outputDirectory}}.
     *
     * @since 0.1.0
     */
    @Parameter(property = "nativeext.outputDirectory", defaultValue = "${project.build.outputDirectory}", required = true)
    private File outputDirectory;

    /**
     * The extension cache. Property {@code nativeext.cache.dir} (the library's own property);
     * default: the library's, i.e. {@code $NATIVEEXT_CACHE_DIR}, else
     * {@code $XDG_CACHE_HOME/nativeext}, else {@code ~/.cache/nativeext}.
     *
     * @since 0.1.0
     */
    @Parameter(property = "nativeext.cache.dir")
    private File cacheDirectory;

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    @Override
    public void execute() throws MojoFailureException {
        if (skip) {
            getLog().info("nativeext: skipped (nativeext.skip)");
            return;
        }
        ExtensionWorker worker = new ExtensionWorker(project.getBasedir().toPath(), generatedSourcesDirectory.toPath(),
                outputDirectory.toPath(), cacheDirectory == null ? null : cacheDirectory.toPath(), verbose,
                ExtensionWorker::locateNvcc, new ExtensionWorker.Log() {
                    @Override public void info(String m) { getLog().info(m); }
                    @Override public void warn(String m) { getLog().warn(m); }
                });
        try {
            worker.buildAll(extensions == null ? List.of() : extensions);
        } catch (ExtensionWorker.BuildFailure e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
        project.addCompileSourceRoot(generatedSourcesDirectory.getAbsolutePath());
    }
}
