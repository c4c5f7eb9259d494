package dev.nativeext.model;

import dev.nativeext.ops.NnOps;
import dev.nativeext.tensor.Tensor;

import java.util.Map;

/** maskrcnn-benchmark's BaseStem: 7×7/2 conv (3 → out, padding 3, no bias), norm, ReLU, 3×3/2 max-pool with padding 1. */
public final class Stem implements Module {

    private final ConvNorm conv1;

    public Stem(int outChannels, Norm norm) {
        conv1 = new ConvNorm("conv1", "bn1", norm, 3, outChannels, 7, 2, 3, 1, 1, null);
    }

    /**
     * With frozen BN (folded into the conv's epilogue) the max-pool runs fused into the conv
     * ({@link ConvNorm#forwardMaxPool}: the 64-channel half-resolution conv output is never
     * stored); with GroupNorm the conv, GN + ReLU, then the max-pool.
     */
    @Override
    public Tensor forward(Tensor x) {
        if (conv1.accumulates()) return conv1.forwardMaxPool(x, true, POOL_K, POOL_S, POOL_P, POOL_D, false);
        try (Tensor y = conv1.forward(x, null, true)) {
            LayerProfile profile = LayerProfile.active();
            long t0 = System.nanoTime();
            Tensor z = NnOps.maxPool2d(y, POOL_K, POOL_S, POOL_P, POOL_D, false);
            if (profile != null) profile.recordStep(this, "maxpool 3x3/2", 0, System.nanoTime() - t0);
            return z;
        }
    }

    private static final int[] POOL_K = {3, 3}, POOL_S = {2, 2}, POOL_P = {1, 1}, POOL_D = {1, 1};

    @Override
    public void parameters(String prefix, Map<String, Parameter> out) {
        conv1.parameters(prefix, out);
    }

    @Override
    public void prepare() {
        conv1.prepare();
    }

    @Override
    public void release() {
        conv1.closeFolded();
    }
}
