package dev.nativeext.data.image;

import dev.nativeext.tensor.Tensor;

import java.util.List;

/**
 * maskrcnn-benchmark's {@code ImageList} plus the batch's targets: {@code images [N, 3, H, W]}
 * float32, each image at the top-left of its slot and zero-padded at the bottom and right;
 * {@code heights[i] × widths[i]} the real size of image i; {@code targets.get(i)} its target;
 * {@code indices[i]} its dataset index. Closing the batch frees the tensor.
 */
public record ImageBatch(Tensor images, int[] heights, int[] widths, List<Target> targets, int[] indices) implements AutoCloseable {

    public int size() {
        return heights.length;
    }

    @Override
    public void close() {
        images.close();
    }
}
