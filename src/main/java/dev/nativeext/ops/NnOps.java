package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;

/**
 * The layers a ResNet/FPN backbone is made of, in the spirit of {@code torch.nn.functional}, one
 * static entry point each, forward only (the detection ops of {@link VisionOps} keep their
 * backward). Each delegates to the layer's own class, whose javadoc gives shapes and semantics in
 * full; every one validates in Java before any native call ({@link IllegalArgumentException}
 * naming the argument) and runs on its tensors' device, CPU or CUDA, float32 or float64, NCHW.
 * Methods are kept in alphabetical order.
 */
public final class NnOps {

    private NnOps() {
    }

    /** {@code a += b} in place (b broadcast to a's shape, same dtype and device); returns {@code a}. */
    public static Tensor addInPlace(Tensor a, Tensor b) {
        return Elementwise.addInPlace(a, b);
    }

    /**
     * {@code relu?(x · scale[c] + shift[c] + residual)}, the epilogue of a convolution and a folded
     * frozen batch norm; scale, shift, residual may be null. See {@link ChannelAffine}.
     */
    public static Tensor channelAffine(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu) {
        return ChannelAffine.apply(x, scale, shift, residual, relu);
    }

    /** {@link Conv2d#forward(Tensor, Tensor, Tensor, Conv2d.Params, Conv2d.Epilogue)}; {@code bias} and {@code epilogue} may be null. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, Conv2d.Params params, Conv2d.Epilogue epilogue) {
        return Conv2d.forward(input, weight, bias, params, epilogue);
    }

    /** {@link Conv2d#forward(Tensor, Tensor, Tensor, Conv2d.Params, Conv2d.Epilogue, Tensor)} into {@code out}. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, Conv2d.Params params, Conv2d.Epilogue epilogue, Tensor out) {
        return Conv2d.forward(input, weight, bias, params, epilogue, out);
    }

    /**
     * {@link PreparedConv2d#forward(Tensor, Tensor, boolean)}: {@code relu?(conv(x) · scale + shift +
     * residual)} with the weights prepared once; {@code residual} may be null.
     */
    public static Tensor conv2d(PreparedConv2d conv, Tensor x, Tensor residual, boolean relu) {
        LayerChecks.notNull("Conv2d", "conv", conv);
        return conv.forward(x, residual, relu);
    }

    /** maskrcnn-benchmark's DFConv2d with conv2d's epilogue; see {@link DfConv2dLayer}. */
    public static Tensor dfConv2d(DfConv2dLayer layer, Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu) {
        LayerChecks.notNull("DFConv2d", "layer", layer);
        return layer.forward(x, scale, shift, residual, relu);
    }

    /**
     * A frozen batch norm {@code [C]} parameters; {@code eps} 0 for maskrcnn-benchmark's,
     * {@link FrozenBatchNorm2d#TORCHVISION_EPS} for torchvision's. See {@link FrozenBatchNorm2d}.
     */
    public static Tensor frozenBatchNorm2d(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double eps) {
        return FrozenBatchNorm2d.withEps(weight, bias, runningMean, runningVar, eps).forward(x);
    }

    /** GroupNorm with an optional fused ReLU; weight and bias may be null. See {@link GroupNorm}. */
    public static Tensor groupNorm(Tensor x, int groups, double eps, Tensor weight, Tensor bias, boolean relu) {
        return GroupNorm.forward(x, groups, eps, weight, bias, relu);
    }

    /** {@code adaptive_avg_pool2d(x, 1)}: [N, C, H, W] to [N, C, 1, 1]. See {@link GlobalAvgPool2d}. */
    public static Tensor globalAvgPool2d(Tensor x) {
        return GlobalAvgPool2d.forward(x);
    }

    /** {@code max_pool2d}; stride null means the kernel size. See {@link MaxPool2d}. */
    public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        return MaxPool2d.forward(x, kernel, stride, padding, dilation, ceilMode);
    }

    /**
     * {@link PreparedConv2d#forwardMaxPool}: {@code max_pool2d(relu?(conv(x) · scale + shift))}, the
     * ResNet stem in one call (on the CPU, for the RGB stem's shapes, without storing the
     * convolution's output).
     */
    public static Tensor conv2dMaxPool(PreparedConv2d conv, Tensor x, boolean relu, int[] kernel, int[] stride, int[] padding,
                                       int[] dilation, boolean ceilMode) {
        LayerChecks.notNull("Conv2d", "conv", conv);
        return conv.forwardMaxPool(x, relu, kernel, stride, padding, dilation, ceilMode);
    }

    /**
     * {@link Conv2d#prepare}: a convolution whose weights are laid out once for the path that runs
     * (close it to free them); {@code bias}, {@code scale}, {@code shift} may be null (scale and
     * shift together: a folded frozen batch norm).
     */
    public static PreparedConv2d prepareConv2d(Tensor weight, Tensor bias, Conv2d.Params params, Tensor scale, Tensor shift) {
        return Conv2d.prepare(weight, bias, params, scale, shift);
    }

    public static Tensor relu(Tensor x) {
        return Activation.relu(x);
    }

    /** ReLU over x itself ({@code relu_}); returns x. */
    public static Tensor reluInPlace(Tensor x) {
        return Activation.reluInPlace(x);
    }

    public static Tensor sigmoid(Tensor x) {
        return Activation.sigmoid(x);
    }

    /** Sigmoid over x itself ({@code sigmoid_}); returns x. */
    public static Tensor sigmoidInPlace(Tensor x) {
        return Activation.sigmoidInPlace(x);
    }

    /** {@code F.interpolate(x, scale_factor=factor, mode='nearest')} for an integer factor. See {@link UpsampleNearest}. */
    public static Tensor upsampleNearest(Tensor x, int factor) {
        return UpsampleNearest.forward(x, factor);
    }
}
