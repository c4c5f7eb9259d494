package dev.nativeext.ops;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The SIMD-agreement tests run one variant per test and skip, by name, the ones this CPU lacks. */
final class Isas {

    private Isas() {
    }

    /** Skips the calling test unless {@code isa} really runs here (else the dispatcher would run another one). */
    static void assumeSupported(CpuOptions.Isa isa) {
        assumeTrue(CpuOptions.supports(isa), () -> "this CPU has no " + isa + " (it runs " + CpuOptions.supported()
                + "): the dispatcher would run another variant and compare it with itself");
    }
}
