package dev.nativeext.model;

import dev.nativeext.model.config.BackboneConfig;
import dev.nativeext.tensor.HostMemory;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13's memory goal, checked by the bytes the tensors hold (not timed, so deterministic):
 * the R-50-FPN forward never holds more than its weights (with their prepared layouts), its input and 1.5× its two largest
 * activations. In R-50-FPN those are the stem convolution's output (64 × H/2 × W/2), C2 and P2
 * (256 × H/4 × W/4): 16·H·W floats each, so the budget above the weights and the input is
 * 1.5 × 2 × 64·H·W bytes. It holds only if every intermediate is closed as soon as it is consumed
 * (bottleneck temporaries, each stage's input, the FPN's top-down maps).
 */
class BackboneMemoryTest {

    @Test
    void theR50FpnForwardHoldsAtMostItsWeightsAndOneAndAHalfTimesItsTwoLargestActivations() {
        BackboneConfig cfg = BackboneConfig.defaults().with("MODEL.BACKBONE.CONV_BODY", "R-50-FPN")
                .with("MODEL.RESNETS.BACKBONE_OUT_CHANNELS", 256);
        int h = 256, w = 384;
        try (Backbone b = Backbone.build(cfg)) {
            Weights.seed(1, b);
            try (Tensor x = Tensor.uniform(2, -2, 2, 1, 3, h, w)) {
                // the first forward lays each convolution's weights out for its path (PreparedConv2d):
                // those buffers are weights, held from then on, and counted with them
                b.forward(x).forEach(Tensor::close);
                long before = HostMemory.liveBytes();
                HostMemory.resetPeak();
                List<Tensor> out = b.forward(x);
                long peak = HostMemory.peakBytes() - before;
                long largestTwo = 2L * 16 * h * w * Float.BYTES;
                out.forEach(Tensor::close);
                assertEquals(before, HostMemory.liveBytes(), "every intermediate of the forward is closed");
                assertTrue(peak <= 1.5 * largestTwo, String.format("peak %.2f MiB above weights and input > 1.5 x the two largest activations (%.2f MiB)",
                        peak / 1048576.0, largestTwo / 1048576.0));
            }
        }
    }
}
