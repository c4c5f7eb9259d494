package dev.nativeext.model;

import dev.nativeext.tensor.Tensor;

/**
 * The one small step of torchvision's classifier that has no native op: a reshape (a copy; it
 * runs once per image, on the logits and, at preparation, on the fc weights).
 */
final class Layers {

    private Layers() {
    }

    /** {@code x} with a new shape of the same element count (a copy). */
    static Tensor reshape(Tensor x, long... shape) {
        return Tensor.fromBytes(x.dtype(), java.nio.ByteBuffer.wrap(x.toRawBytes()), shape);
    }
}
