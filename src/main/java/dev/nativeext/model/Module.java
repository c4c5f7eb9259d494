package dev.nativeext.model;

import dev.nativeext.tensor.Tensor;

import java.util.Map;

/**
 * A network piece with named parameters, as a PyTorch {@code nn.Module}: {@link #forward}
 * returns a new tensor and leaves its input open (the caller owns both). User modules
 * registered in {@link ResNetModules} implement this.
 */
public interface Module {

    /** A new tensor; {@code x} stays open. */
    Tensor forward(Tensor x);

    /** Adds this module's parameters to {@code out} under {@code prefix} + their PyTorch names. */
    void parameters(String prefix, Map<String, Parameter> out);

    /**
     * Called once after every parameter has its value: derive what forward needs (frozen batch
     * norm folded into the preceding convolution). Called again after a reload.
     */
    void prepare();

    /**
     * Frees what {@link #prepare()} derived (prepared convolution weights, folded norms); the
     * parameters stay. A later {@link #prepare()} derives them again. Default: nothing to free.
     */
    default void release() {
    }
}
