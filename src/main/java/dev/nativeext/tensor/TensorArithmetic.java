package dev.nativeext.tensor;

/**
 * What {@link Tensor#add}, {@link Tensor#sub}, {@link Tensor#mul} and {@link Tensor#div} call. The
 * element-wise ops live in a layer above this package ({@code dev.nativeext.ops.Elementwise},
 * with its native kernels and the op registry), which provides this interface through
 * {@link java.util.ServiceLoader}: the tensor package does not depend on the ops package.
 */
public interface TensorArithmetic {

    Tensor add(Tensor a, Tensor b);

    Tensor sub(Tensor a, Tensor b);

    Tensor mul(Tensor a, Tensor b);

    Tensor div(Tensor a, Tensor b);
}
