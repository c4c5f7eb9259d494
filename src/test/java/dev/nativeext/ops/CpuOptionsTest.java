package dev.nativeext.ops;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class CpuOptionsTest {

    @Test
    void theSupportedVariantsStartWithBaselineAndHaveNoGaps() {
        Set<CpuOptions.Isa> s = CpuOptions.supported();
        assertTrue(s.contains(CpuOptions.Isa.BASELINE), s.toString());
        assertFalse(s.contains(CpuOptions.Isa.AUTO), "AUTO is a request, not a variant");
        if (s.contains(CpuOptions.Isa.AVX512)) assertTrue(s.contains(CpuOptions.Isa.AVX2), s.toString());
        assertTrue(CpuOptions.supports(CpuOptions.Isa.AUTO));
        assertThrows(IllegalArgumentException.class, () -> CpuOptions.setIsa(null));
    }

    /** The C dispatcher's answer agrees with what Linux says the CPU has. */
    @Test
    void theSupportedVariantsAgreeWithProcCpuinfo() throws IOException {
        Path info = Path.of("/proc/cpuinfo");
        assumeTrue(Files.isReadable(info), "no /proc/cpuinfo here");
        String flags = Files.readAllLines(info).stream().filter(l -> l.startsWith("flags")).findFirst().orElse("");
        Set<String> f = Set.of(flags.replaceFirst("^flags\\s*:", "").trim().split("\\s+"));
        Set<CpuOptions.Isa> s = CpuOptions.supported();
        assertEquals(f.contains("avx2") && f.contains("fma"), s.contains(CpuOptions.Isa.AVX2), flags);
        assertEquals(f.contains("avx512f"), s.contains(CpuOptions.Isa.AVX512), flags);
        // AMX also needs Linux to grant the tile state, so the flags are necessary, not sufficient
        if (CpuOptions.amxUsable()) assertTrue(f.contains("amx_bf16") && f.contains("amx_tile"), flags);
    }

    /** AMX (conv2d's route) is listed exactly where the C code says this process may use it, and only beside AVX-512. */
    @Test
    void amxIsSupportedExactlyWhereUsable() {
        Set<CpuOptions.Isa> s = CpuOptions.supported();
        assertEquals(CpuOptions.amxUsable(), s.contains(CpuOptions.Isa.AMX), s.toString());
        if (CpuOptions.amxUsable()) assertTrue(s.contains(CpuOptions.Isa.AVX512), s.toString());
        assertEquals(CpuOptions.amxUsable(), CpuOptions.supports(CpuOptions.Isa.AMX));
    }
}
