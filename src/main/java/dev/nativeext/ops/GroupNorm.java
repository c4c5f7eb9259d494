package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * GroupNorm forward ({@code torch.nn.functional.group_norm}, maskrcnn-benchmark's
 * {@code group_norm}) with an optional fused ReLU, on the CPU (C99, two passes over memory,
 * vectorised, {@link CpuOptions#isa()}) and CUDA, float32 and float64. Registered as
 * {@code "GroupNorm"}. Forward only.
 *
 * <p>{@code x [N, C, ...]} (rank >= 2, C >= 1, spatial sizes >= 1); {@code groups} divides C; each
 * image's group of {@code C / groups} channels is normalised by its own mean and biased variance:
 * {@code out = relu?((x − mean) / sqrt(var + eps) · weight[c] + bias[c])}, {@code weight} and
 * {@code bias} {@code [C]} or null (1 and 0). Statistics accumulate in float64 about a shift, in
 * fixed chunks: results are bit-identical for any thread count and SIMD variant.
 */
public final class GroupNorm {

    /** maskrcnn-benchmark's {@code MODEL.GROUP_NORM.EPSILON} default. */
    public static final double DEFAULT_EPS = 1e-5;

    /** The kernel each device registers: arguments validated, {@code out} of x's shape. */
    public interface Kernel {
        void run(Tensor x, int groups, double eps, Tensor weight, Tensor bias, boolean relu, Tensor out);
    }

    public static final Op<Kernel> GROUP_NORM = new Op<>("GroupNorm", Kernel.class);

    private static volatile boolean registered;

    private GroupNorm() {
    }

    public static void registerBuiltins() {
        if (registered) return;
        synchronized (GroupNorm.class) {
            if (registered) return;
            GroupNormNative.LIBRARY.register(GROUP_NORM, GroupNorm::cpu, () -> GroupNorm::cuda);
            registered = true;
        }
    }

    /**
     * maskrcnn-benchmark's {@code get_group_gn(dim, dim_per_gp, num_groups)}: {@code dim / dimPerGroup}
     * groups when {@code dimPerGroup > 0}, else {@code numGroups}; one of the two must be -1 (the
     * config sets DIM_PER_GP -1, NUM_GROUPS 32), and the channel count must divide.
     */
    public static int groupsFor(long channels, int dimPerGroup, int numGroups) {
        String op = GROUP_NORM.name();
        if (dimPerGroup != -1 && numGroups != -1) {
            throw new IllegalArgumentException(op + ": only one of dimPerGroup (DIM_PER_GP) and numGroups (NUM_GROUPS) may be set,"
                    + " the other -1; got " + dimPerGroup + " and " + numGroups);
        }
        if (channels < 1) throw new IllegalArgumentException(op + ": channels must be >= 1, got " + channels);
        if (dimPerGroup > 0) {
            if (channels % dimPerGroup != 0) {
                throw new IllegalArgumentException(op + ": channels " + channels + " must be divisible by dimPerGroup (DIM_PER_GP) "
                        + dimPerGroup);
            }
            return Math.toIntExact(channels / dimPerGroup);
        }
        if (numGroups < 1 || channels % numGroups != 0) {
            throw new IllegalArgumentException(op + ": channels " + channels + " must be divisible by numGroups (NUM_GROUPS), got "
                    + numGroups);
        }
        return numGroups;
    }

    /** A new tensor; see the class documentation. */
    public static Tensor forward(Tensor x, int groups, double eps, Tensor weight, Tensor bias, boolean relu) {
        registerBuiltins();
        String op = GROUP_NORM.name();
        LayerChecks.floating(op, "x", x);
        Kernel k = OpRegistry.global().dispatch(GROUP_NORM, x, weight, bias);
        long[] s = x.shape();
        if (s.length < 2) throw new IllegalArgumentException(op + ": x must be [N, C, ...], got shape " + Arrays.toString(s));
        for (int i = 1; i < s.length; i++) {
            if (s[i] < 1) throw new IllegalArgumentException(op + ": x must have C and spatial sizes >= 1, got shape " + Arrays.toString(s));
        }
        if (groups < 1 || s[1] % groups != 0) {
            throw new IllegalArgumentException(op + ": groups must be >= 1 and divide C = " + s[1] + ", got " + groups);
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) throw new IllegalArgumentException(op + ": eps must be finite and >= 0, got " + eps);
        LayerChecks.like(op, "weight", weight, x, s[1]);
        LayerChecks.like(op, "bias", bias, x, s[1]);
        Tensor out = Tensor.empty(x.dtype(), x.device(), s);
        try {
            k.run(x, groups, eps, weight, bias, relu, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    private static long addr(Tensor t) {
        return t == null ? 0L : t.address();
    }

    private static long hw(Tensor x) {
        return x.numel() == 0 ? 0 : x.numel() / (x.shape(0) * x.shape(1));
    }

    private static void cpu(Tensor x, int groups, double eps, Tensor w, Tensor b, boolean relu, Tensor out) {
        Natives.check(GroupNormNative.ne_group_norm_cpu(x.dtype().code(), x.address(), x.shape(0), x.shape(1), hw(x), groups, eps,
                addr(w), addr(b), relu ? 1 : 0, out.address(), CpuOptions.threads(), CpuOptions.isa().code()), GROUP_NORM.name());
    }

    private static void cuda(Tensor x, int groups, double eps, Tensor w, Tensor b, boolean relu, Tensor out) {
        if (x.numel() == 0) return;
        GroupNormNative.LIBRARY.requireKernelImage(x.device());
        Natives.check(GroupNormNative.ne_group_norm_cuda(x.dtype().code(), x.address(), x.shape(0), x.shape(1), hw(x), groups, eps,
                addr(w), addr(b), relu ? 1 : 0, out.address(), 0L), GROUP_NORM.name());
    }
}
