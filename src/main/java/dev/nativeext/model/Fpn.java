package dev.nativeext.model;

import dev.nativeext.model.config.BackboneConfig;
import dev.nativeext.ops.NnOps;
import dev.nativeext.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * maskrcnn-benchmark's FPN: for each input level with channels > 0, a lateral 1×1
 * {@code fpn_inner<i>} and a 3×3 output {@code fpn_layer<i>} (bias and no norm; with
 * {@code USE_GN} no bias and a GroupNorm, named {@code fpn_inner<i>.0} / {@code .1}; with
 * {@code USE_RELU} a ReLU after). Top-down from the last level: {@code last = inner(C) +
 * nearest_upsample×2(last)}, each output {@code layer(last)}; outputs in increasing stride, then
 * the top block's: {@link TopBlock#MAX_POOL} (P6 = max_pool(P5, 1, 2)) or P6/P7 (RetinaNet).
 */
public final class Fpn implements Module {

    /** The extra levels after the last output. */
    public enum TopBlock { NONE, MAX_POOL, P6_P7 }

    private final List<ConvNorm> inner = new ArrayList<>(), layer = new ArrayList<>();
    private final List<Integer> levels = new ArrayList<>();
    private final boolean useRelu;
    private final TopBlock top;
    private final ConvNorm p6, p7;
    private final boolean p6FromP5;

    /**
     * @param inChannels per input level, 0 = no lateral for that level (RetinaNet drops C2)
     * @param p6InChannels channels of P6's input for {@link TopBlock#P6_P7}: C5's ({@code USE_C5}) or the FPN width (P5)
     */
    public Fpn(BackboneConfig cfg, int[] inChannels, int outChannels, TopBlock top, int p6InChannels) {
        boolean gn = cfg.fpnUseGn();
        useRelu = cfg.fpnUseRelu();
        Norm norm = gn ? ResNetModules.groupNorm(cfg) : new Norm.None();
        boolean seq = gn || useRelu;
        for (int i = 0; i < inChannels.length; i++) {
            if (inChannels[i] == 0) continue;
            String in = "fpn_inner" + (i + 1), out = "fpn_layer" + (i + 1);
            inner.add(new ConvNorm(seq ? in + ".0" : in, in + ".1", norm, inChannels[i], outChannels, 1, 1, 0, 1, 1, null));
            layer.add(new ConvNorm(seq ? out + ".0" : out, out + ".1", norm, outChannels, outChannels, 3, 1, 1, 1, 1, null));
            levels.add(i);
        }
        this.top = top;
        if (top == TopBlock.P6_P7) {
            p6 = new ConvNorm("top_blocks.p6", null, new Norm.None(), p6InChannels, outChannels, 3, 2, 1, 1, 1, null);
            p7 = new ConvNorm("top_blocks.p7", null, new Norm.None(), outChannels, outChannels, 3, 2, 1, 1, 1, null);
            p6FromP5 = p6InChannels == outChannels;
        } else {
            p6 = p7 = null;
            p6FromP5 = false;
        }
    }

    /** FPN outputs for the body's features {@code x} (all levels, including those without a lateral). */
    public List<Tensor> forward(List<Tensor> x) {
        return run(x, false);
    }

    /**
     * As {@link #forward(List)}, taking ownership of {@code x}: each level is closed as soon as the
     * FPN no longer needs it (after its lateral), so that the body's features do not all stay
     * alive beside the top-down maps; every level is closed when this returns or throws.
     */
    public List<Tensor> forwardConsuming(List<Tensor> x) {
        try {
            return run(x, true);
        } finally {
            x.forEach(Tensor::close);
        }
    }

    private List<Tensor> run(List<Tensor> x, boolean consume) {
        int n = inner.size();
        // C5 feeds RetinaNet's P6 too (USE_C5): it stays until then
        boolean keepLast = top == TopBlock.P6_P7 && !p6FromP5;
        if (consume) {
            for (int i = 0; i < x.size(); i++) if (!levels.contains(i)) x.get(i).close(); // no lateral (RetinaNet's C2)
        }
        List<Tensor> results = new ArrayList<>();
        Tensor last = inner.get(n - 1).forward(x.get(x.size() - 1), null, useRelu);
        if (consume && !keepLast) x.get(x.size() - 1).close();
        try {
            results.add(layer.get(n - 1).forward(last, null, useRelu));
            for (int j = n - 2; j >= 0; j--) {
                Tensor f = x.get(levels.get(j));
                if (f.shape(2) != 2 * last.shape(2) || f.shape(3) != 2 * last.shape(3)) {
                    throw new IllegalArgumentException("FPN: level " + (levels.get(j) + 2) + " is " + f.shape(2) + "x" + f.shape(3)
                            + " but the top-down path gives " + 2 * last.shape(2) + "x" + 2 * last.shape(3)
                            + ": the input's height and width must be divisible by 32 (DATALOADER.SIZE_DIVISIBILITY 32)");
                }
                Tensor next = topDown(inner.get(j), f, last);
                if (consume) f.close();
                last.close();
                last = next;
                results.add(0, layer.get(j).forward(last, null, useRelu));
            }
        } catch (RuntimeException e) {
            results.forEach(Tensor::close);
            throw e;
        } finally {
            last.close();
        }
        if (top == TopBlock.MAX_POOL) {
            results.add(NnOps.maxPool2d(results.get(results.size() - 1), new int[] {1, 1}, new int[] {2, 2}, new int[] {0, 0}, new int[] {1, 1}, false));
        } else if (top == TopBlock.P6_P7) {
            Tensor in = p6FromP5 ? results.get(results.size() - 1) : x.get(x.size() - 1);
            Tensor t6 = p6.forward(in, null, false);
            results.add(t6);
            try (Tensor r6 = NnOps.relu(t6)) {
                results.add(p7.forward(r6, null, false));
            }
        }
        return results;
    }

    /** {@code lateral(f) + upsample×2(last)}, a new tensor. */
    private Tensor topDown(ConvNorm lateral, Tensor f, Tensor last) {
        if (!useRelu && lateral.accumulates()) {
            // the top-down map upsampled straight into the output, the lateral added onto it in
            // place by the conv's epilogue: no second full-size buffer beside it
            Tensor next = NnOps.upsampleNearest(last, 2);
            try {
                return lateral.forwardAccumulate(f, next);
            } catch (RuntimeException e) {
                next.close();
                throw e;
            }
        }
        try (Tensor up = NnOps.upsampleNearest(last, 2)) {
            if (!useRelu) return lateral.forward(f, up, false); // GroupNorm: the add follows the norm
            try (Tensor lat = lateral.forward(f, null, true)) {
                return lat.add(up);
            }
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("FPN takes the list of body features: forward(List<Tensor>)");
    }

    @Override
    public void parameters(String prefix, Map<String, Parameter> out) {
        for (int i = 0; i < inner.size(); i++) {
            inner.get(i).parameters(prefix, out);
            layer.get(i).parameters(prefix, out);
        }
        if (p6 != null) {
            p6.parameters(prefix, out);
            p7.parameters(prefix, out);
        }
    }

    @Override
    public void prepare() {
        inner.forEach(ConvNorm::prepare);
        layer.forEach(ConvNorm::prepare);
        if (p6 != null) {
            p6.prepare();
            p7.prepare();
        }
    }

    @Override
    public void release() {
        inner.forEach(ConvNorm::closeFolded);
        layer.forEach(ConvNorm::closeFolded);
        if (p6 != null) {
            p6.closeFolded();
            p7.closeFolded();
        }
    }
}
