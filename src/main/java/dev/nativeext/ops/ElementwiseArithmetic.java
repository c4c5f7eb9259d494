package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;
import dev.nativeext.tensor.TensorArithmetic;

/**
 * {@link Tensor}'s arithmetic, provided to the tensor package through
 * {@code META-INF/services/dev.nativeext.tensor.TensorArithmetic}: {@link Elementwise}'s ops, so
 * a kernel registered for them in {@link OpRegistry#global()} serves {@code a.add(b)} too.
 */
public final class ElementwiseArithmetic implements TensorArithmetic {

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return Elementwise.add(a, b);
    }

    @Override
    public Tensor sub(Tensor a, Tensor b) {
        return Elementwise.sub(a, b);
    }

    @Override
    public Tensor mul(Tensor a, Tensor b) {
        return Elementwise.mul(a, b);
    }

    @Override
    public Tensor div(Tensor a, Tensor b) {
        return Elementwise.div(a, b);
    }
}
