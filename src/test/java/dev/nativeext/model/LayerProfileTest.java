package dev.nativeext.model;

import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link LayerProfile} records every convolution once per layer, with its shape, and changes no result. */
class LayerProfileTest {

    @Test
    void recordsEveryLayerOfANarrowResNetWithoutChangingItsOutput() {
        try (TorchvisionResNet net = new TorchvisionResNet(new int[] {1, 2, 1, 1}, 8, 4, 10);
             Tensor x = Tensor.uniform(5, -1, 1, 1, 3, 32, 32)) {
            Weights.seed(3, net.parameters(), net::prepare);
            float[] plain;
            try (Tensor y = net.forward(x)) {
                plain = y.toFloatArray();
            }
            LayerProfile p = LayerProfile.start();
            float[] profiled;
            try {
                for (int i = 0; i < 2; i++) {
                    try (Tensor y = net.forward(x)) {
                        profiled = y.toFloatArray();
                    }
                    assertArrayEquals(plain, profiled, 0f);
                }
            } finally {
                LayerProfile.stop();
            }
            assertNull(LayerProfile.active());
            List<String> layers = p.layers();
            // the stem's conv + max-pool (one fused call with frozen BN), 4 + (4 + 3) + 4 + 4 convs (a downsample in
            // each stage's first block), the head
            assertEquals(1 + 4 + 4 + 3 + 4 + 4 + 1, layers.size(), layers.toString());
            assertTrue(layers.get(0).startsWith("conv1+maxpool") && layers.get(0).contains("3->8") && layers.get(0).contains("7x7/2"),
                    layers.get(0));
            assertTrue(layers.get(layers.size() - 1).startsWith("avgpool + fc 128->10"), layers.get(layers.size() - 1));
            assertTrue(p.totalMillis() > 0);
        }
    }
}
