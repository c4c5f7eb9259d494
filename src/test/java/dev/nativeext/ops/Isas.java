package dev.nativeext.ops;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The SIMD-agreement tests run one variant per test and skip, by name, the ones this CPU lacks. */
final class Isas {

    private Isas() {
    }

    /**
     * AVX2, AVX512 and, where AUTO runs them (no AMX here), AUTO: the variants whose conv2d bits
     * equal the baseline's. Where AMX is usable AUTO takes conv2d's AMX route (other bits, its own tests).
     */
    static CpuOptions.Isa[] simdAfterBaseline() {
        return CpuOptions.amxUsable() ? new CpuOptions.Isa[] {CpuOptions.Isa.AVX2, CpuOptions.Isa.AVX512}
                : new CpuOptions.Isa[] {CpuOptions.Isa.AVX2, CpuOptions.Isa.AVX512, CpuOptions.Isa.AUTO};
    }

    /** Skips the calling test unless {@code isa} really runs here (else the dispatcher would run another one). */
    static void assumeSupported(CpuOptions.Isa isa) {
        assumeTrue(CpuOptions.supports(isa), () -> "this CPU has no " + isa + " (it runs " + CpuOptions.supported()
                + "): the dispatcher would run another variant and compare it with itself");
    }
}
