package dev.nativeext.model;

import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * One named tensor slot of a module: a learnable parameter (conv and GroupNorm weights) or a
 * buffer (frozen batch norm's weight, bias and running statistics, which maskrcnn-benchmark
 * registers as buffers). Its shape is fixed when the module is built; the value arrives from a
 * checkpoint or from seeding. {@link #requiresGrad()} mirrors PyTorch's flag: false for every
 * buffer and for the parameters of frozen stages ({@code FREEZE_CONV_BODY_AT}).
 */
public final class Parameter {

    private final long[] shape;
    private final boolean buffer;
    private Tensor value;
    private boolean frozen;

    Parameter(boolean buffer, long... shape) {
        this.buffer = buffer;
        this.shape = shape.clone();
    }

    public long[] shape() {
        return shape.clone();
    }

    public boolean isBuffer() {
        return buffer;
    }

    /** PyTorch's requires_grad: a parameter outside the frozen stages. */
    public boolean requiresGrad() {
        return !buffer && !frozen;
    }

    void freeze() {
        frozen = true;
    }

    /** The value; an IllegalStateException when neither loaded nor seeded. */
    public Tensor value() {
        if (value == null) throw new IllegalStateException("parameter of shape " + Arrays.toString(shape) + " has no value (load or seed the model)");
        return value;
    }

    boolean hasValue() {
        return value != null;
    }

    /** Replaces the value (taking ownership), closing the previous one. */
    void set(Tensor t) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("parameter expects shape " + Arrays.toString(shape) + ", got " + Arrays.toString(t.shape()));
        }
        if (value != null && value != t) value.close();
        value = t;
    }

    void close() {
        if (value != null) value.close();
        value = null;
    }
}
