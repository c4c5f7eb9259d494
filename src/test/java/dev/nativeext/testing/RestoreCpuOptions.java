package dev.nativeext.testing;

import dev.nativeext.ops.CpuOptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For tests that set {@link CpuOptions}' thread count or SIMD variant: puts back what was set
 * before each test, so that one test's settings never leak into the next
 * ({@code @ExtendWith(RestoreCpuOptions.class)}).
 */
public final class RestoreCpuOptions implements BeforeEachCallback, AfterEachCallback {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(RestoreCpuOptions.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("threads", CpuOptions.threads());
        context.getStore(NS).put("isa", CpuOptions.isa());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        CpuOptions.setThreads(context.getStore(NS).get("threads", Integer.class));
        CpuOptions.setIsa(context.getStore(NS).get("isa", CpuOptions.Isa.class));
    }
}
