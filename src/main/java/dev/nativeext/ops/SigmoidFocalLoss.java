package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.InFlight;
import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * Sigmoid focal loss (RetinaNet), element-wise with no reduction, forward and backward, registered
 * under maskrcnn-benchmark's name {@code "SigmoidFocalLoss"} for the CPU (C99) and CUDA.
 *
 * <p>{@code logits [N, C]} float32 or float64: one logit per anchor and foreground class. The
 * target convention follows the dtype of {@code targets} (docs/ops.md §7):
 * <ul>
 *   <li><b>int64 labels [N]</b> (maskrcnn-benchmark): {@code 0} = background (a negative for every
 *   class), {@code 1..C} = the positive class, column {@code label - 1}; {@code -1} = ignore
 *   (loss and gradient 0). maskrcnn-benchmark passes int32; convert to int64.</li>
 *   <li><b>float [N, C] of the logits' dtype</b> (torchvision): per-element targets in [0, 1],
 *   soft labels allowed (one-hot rows reproduce the label convention without ignore).</li>
 * </ul>
 * With {@code p = sigmoid(x)}, {@code p_t = p t + (1-p)(1-t)},
 * {@code alpha_t = alpha t + (1-alpha)(1-t)} (1 when {@code alpha < 0}, torchvision's way to
 * disable it), {@code loss = -alpha_t (1-p_t)^gamma log(p_t)} generalised to soft targets as
 * {@code alpha_t (1-p_t)^gamma BCE(x, t)}. Logarithms use the stable softplus forms, so large
 * |x| never saturates or yields NaN. maskrcnn-benchmark sums the result and divides by
 * {@code num_pos + N_images}; that reduction is the caller's. Defaults: gamma 2, alpha 0.25.
 */
public final class SigmoidFocalLoss {

    public static final double DEFAULT_GAMMA = 2.0;
    public static final double DEFAULT_ALPHA = 0.25;

    /** The kernel signature; inputs are validated and outputs allocated by the caller. */
    public interface Kernel {
        void forward(Tensor logits, Tensor targets, int convention, double gamma, double alpha, Tensor loss);

        void backward(Tensor logits, Tensor targets, int convention, double gamma, double alpha, Tensor gradLoss, Tensor gradLogits);
    }

    public static final Op<Kernel> SIGMOID_FOCAL_LOSS = new Op<>("SigmoidFocalLoss", Kernel.class);

    static {
        OpRegistry.global().builtins(() -> SigmoidFocalLossNative.LIBRARY.register(SIGMOID_FOCAL_LOSS, new Cpu(), Cuda::new),
                SIGMOID_FOCAL_LOSS);
    }

    private SigmoidFocalLoss() {
    }

    /** Per-element loss [N, C] with gamma 2, alpha 0.25. */
    public static Tensor forward(Tensor logits, Tensor targets) {
        return forward(logits, targets, DEFAULT_GAMMA, DEFAULT_ALPHA);
    }

    /** Per-element loss [N, C], same dtype and device as {@code logits}. */
    public static Tensor forward(Tensor logits, Tensor targets, double gamma, double alpha) {
        ArgChecks.present("SigmoidFocalLoss", "logits", logits, "targets", targets);
        Kernel k = dispatch(logits, targets, null);
        int conv = validate(logits, targets, gamma, alpha, null);
        Tensor loss = Tensor.empty(logits.dtype(), logits.device(), logits.shape()); // every element is written
        try {
            k.forward(logits, targets, conv, gamma, alpha, loss);
        } catch (RuntimeException e) {
            loss.close();
            throw e;
        }
        return loss;
    }

    /**
     * {@code dL/dlogits [N, C] = gradLoss * dloss/dx}, element-wise; {@code gradLoss [N, C]} is
     * the upstream gradient of the per-element loss (all ones for a plain sum).
     */
    public static Tensor backward(Tensor logits, Tensor targets, double gamma, double alpha, Tensor gradLoss) {
        if (gradLoss == null) throw new IllegalArgumentException("SigmoidFocalLoss: gradLoss must not be null");
        ArgChecks.present("SigmoidFocalLoss", "logits", logits, "targets", targets);
        Kernel k = dispatch(logits, targets, gradLoss);
        int conv = validate(logits, targets, gamma, alpha, gradLoss);
        Tensor grad = Tensor.empty(logits.dtype(), logits.device(), logits.shape()); // every element is written
        try {
            k.backward(logits, targets, conv, gamma, alpha, gradLoss, grad);
        } catch (RuntimeException e) {
            grad.close();
            throw e;
        }
        return grad;
    }

    private static Kernel dispatch(Tensor logits, Tensor targets, Tensor gradLoss) {
        if (logits == null || targets == null) throw new IllegalArgumentException("SigmoidFocalLoss: logits and targets must not be null");
        return OpRegistry.global().dispatch(SIGMOID_FOCAL_LOSS, logits, targets, gradLoss);
    }

    /** Returns the target convention: 0 labels, 1 dense. */
    static int validate(Tensor logits, Tensor targets, double gamma, double alpha, Tensor gradLoss) {
        String op = "SigmoidFocalLoss";
        DType dt = logits.dtype();
        if (dt != DType.FLOAT32 && dt != DType.FLOAT64) throw new IllegalArgumentException(op + ": logits must be float32 or float64, got " + dt);
        long[] s = logits.shape();
        if (s.length != 2) throw new IllegalArgumentException(op + ": logits must be [N, C], got " + Arrays.toString(s));
        if (!Double.isFinite(gamma) || gamma < 0) throw new IllegalArgumentException(op + ": gamma must be finite and >= 0, got " + gamma);
        if (!Double.isFinite(alpha)) throw new IllegalArgumentException(op + ": alpha must be finite, got " + alpha);
        if (gradLoss != null && (gradLoss.dtype() != dt || !Arrays.equals(gradLoss.shape(), s))) {
            throw new IllegalArgumentException(op + ": gradLoss must be " + dt + Arrays.toString(s) + ", got " + gradLoss.describe());
        }
        int conv;
        if (targets.dtype() == DType.INT64) {
            if (targets.ndim() != 1 || targets.shape(0) != s[0]) {
                throw new IllegalArgumentException(op + ": int64 targets (labels) must be [" + s[0] + "], got " + Arrays.toString(targets.shape()));
            }
            conv = 0;
        } else if (targets.dtype() == dt) {
            if (!Arrays.equals(targets.shape(), s)) {
                throw new IllegalArgumentException(op + ": float targets must have the logits' shape " + Arrays.toString(s) + ", got "
                        + Arrays.toString(targets.shape()));
            }
            conv = 1;
        } else {
            throw new IllegalArgumentException(op + ": targets must be int64 labels [N] or " + dt + " [N, C], got " + targets.dtype());
        }
        Tensor host = targets.device().isCuda() ? targets.to(Device.CPU) : targets;
        try (InFlight held = InFlight.of(host)) {
            if (conv == 0) {
                long[] v = host.toLongArray();
                for (int i = 0; i < v.length; i++) {
                    if (v[i] < -1 || v[i] > s[1]) {
                        throw new IllegalArgumentException(op + ": targets[" + i + "] = " + v[i] + " is outside [-1, " + s[1]
                                + "] (-1 ignore, 0 background, 1.." + s[1] + " classes)");
                    }
                }
            } else {
                // Scanned natively in place: a copy into the heap cost ~90 ms and 200 MB for
                // RetinaNet's 16M targets, twice the kernel's own time.
                long[] bad = {-1};
                int status = SigmoidFocalLossNative.ne_sigmoid_focal_loss_check_targets(dt.code(), host.numel(), host.address(), bad);
                if (status == 1 && bad[0] >= 0) {
                    long i = bad[0];
                    double v = host.getDouble(i);
                    throw new IllegalArgumentException(op + ": targets[" + i / s[1] + ", " + i % s[1] + "] = " + v + " is outside [0, 1]");
                }
                Natives.check(status, op);
            }
        } finally {
            if (host != targets) host.close();
        }
        return conv;
    }


    private static final class Cpu implements Kernel {
        @Override
        public void forward(Tensor x, Tensor t, int conv, double gamma, double alpha, Tensor loss) {
            Natives.check(SigmoidFocalLossNative.ne_sigmoid_focal_loss_forward_cpu(x.dtype().code(), x.shape(0), x.shape(1), x.address(),
                    t.address(), conv, gamma, alpha, CpuOptions.threads(), CpuOptions.isa().code(), loss.address()), "SigmoidFocalLoss");
        }

        @Override
        public void backward(Tensor x, Tensor t, int conv, double gamma, double alpha, Tensor g, Tensor gx) {
            Natives.check(SigmoidFocalLossNative.ne_sigmoid_focal_loss_backward_cpu(x.dtype().code(), x.shape(0), x.shape(1), x.address(),
                    t.address(), conv, gamma, alpha, g.address(), CpuOptions.threads(), CpuOptions.isa().code(), gx.address()), "SigmoidFocalLoss");
        }
    }

    private static final class Cuda implements Kernel {
        @Override
        public void forward(Tensor x, Tensor t, int conv, double gamma, double alpha, Tensor loss) {
            if (x.numel() == 0) return;
            SigmoidFocalLossNative.LIBRARY.requireKernelImage(x.device());
            Natives.check(SigmoidFocalLossNative.ne_sigmoid_focal_loss_forward_cuda(x.dtype().code(), x.shape(0), x.shape(1), x.address(),
                    t.address(), conv, gamma, alpha, loss.address(), 0L), "SigmoidFocalLoss");
        }

        @Override
        public void backward(Tensor x, Tensor t, int conv, double gamma, double alpha, Tensor g, Tensor gx) {
            if (x.numel() == 0) return;
            SigmoidFocalLossNative.LIBRARY.requireKernelImage(x.device());
            Natives.check(SigmoidFocalLossNative.ne_sigmoid_focal_loss_backward_cuda(x.dtype().code(), x.shape(0), x.shape(1), x.address(),
                    t.address(), conv, gamma, alpha, g.address(), gx.address(), 0L), "SigmoidFocalLoss");
        }
    }
}
