package dev.nativeext;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packages of nativeext form layers: a package may use the packages listed before it, never
 * one listed after it, so there is no cycle. A new package is one line in {@link #LAYERS}, at the
 * place its dependencies allow; a package missing from the list fails {@link #everyPackageHasALayer}.
 */
class ArchitectureTest {

    /** Bottom to top. "" is the root package dev.nativeext (NativeExtension and its builder). */
    static final List<String> LAYERS = List.of(
            "error",      // Diagnostic, ExtensionBuildException: what every lower layer reports with
            "header",     // the C header model and parser
            "cache",      // content keys, locks, atomic entries
            "toolchain",  // compilers, processes, diagnostics, CudaArchs
            "runtime",    // platform names, packaged libraries, the driver probe
            "binding",    // interface checking and the JNI glue
            "tensor",     // Tensor, Device, Cuda; its arithmetic comes from ops through TensorArithmetic
            "",           // NativeExtension: the create_extension API
            "ops",        // the op registry and the native ops (and the layers built on them)
            "data",       // datasets and loaders; the image pipeline resizes with an op
            "model",      // models built from ops
            "internal",   // the build-time pipeline of the project's own natives
            "cli");       // bin/nativeext's commands

    static final String ROOT = "dev.nativeext";
    static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            .importPackages(ROOT);

    static String pkg(String layer) {
        return layer.isEmpty() ? ROOT : ROOT + "." + layer + "..";
    }

    @Test
    void everyLayerUsesOnlyTheLayersBelowIt() {
        for (int i = 0; i < LAYERS.size(); i++) {
            List<String> above = new ArrayList<>();
            for (int j = i + 1; j < LAYERS.size(); j++) above.add(pkg(LAYERS.get(j)));
            if (above.isEmpty()) continue;
            ArchRule rule = noClasses().that().resideInAPackage(pkg(LAYERS.get(i)))
                    .should().dependOnClassesThat().resideInAnyPackage(above.toArray(String[]::new))
                    .because("layer '" + (LAYERS.get(i).isEmpty() ? "(root)" : LAYERS.get(i))
                            + "' sits below those in ArchitectureTest.LAYERS")
                    .allowEmptyShould(true);
            rule.check(CLASSES);
        }
    }

    @Test
    void noPackageCycle() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void everyPackageHasALayer() {
        Set<String> missing = new TreeSet<>();
        for (JavaClass c : CLASSES) {
            String p = c.getPackageName();
            String top = p.equals(ROOT) ? "" : p.substring(ROOT.length() + 1).split("\\.")[0];
            if (!LAYERS.contains(top)) missing.add(p);
        }
        assertTrue(missing.isEmpty(), "packages with no place in ArchitectureTest.LAYERS (add one line each): " + missing);
    }
}
