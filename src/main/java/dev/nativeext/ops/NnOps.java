package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;

/**
 * The layers a ResNet is made of, one entry point each in the spirit of
 * {@code torch.nn.functional}, forward only. Each delegates to the layer's own class, whose
 * javadoc gives shapes and options in full. Entry points are kept in alphabetical order.
 */
public final class NnOps {

    private NnOps() {
    }

    /** {@link Conv2d#forward(Tensor, Tensor, Tensor, Conv2d.Params, Conv2d.Epilogue)}; {@code bias} and {@code epilogue} may be null. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, Conv2d.Params params, Conv2d.Epilogue epilogue) {
        return Conv2d.forward(input, weight, bias, params, epilogue);
    }

    /** {@link Conv2d#forward(Tensor, Tensor, Tensor, Conv2d.Params, Conv2d.Epilogue, Tensor)} into {@code out}. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, Conv2d.Params params, Conv2d.Epilogue epilogue, Tensor out) {
        return Conv2d.forward(input, weight, bias, params, epilogue, out);
    }
}
