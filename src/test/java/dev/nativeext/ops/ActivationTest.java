package dev.nativeext.ops;

import dev.nativeext.RequiresCuda;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.nativeext.ops.LayerReference.random;
import static dev.nativeext.ops.LayerReference.tensor;
import static dev.nativeext.ops.LayerReference.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ReLU, sigmoid (out of place and in place) and the in-place add. */
class ActivationTest {

    static final double[] SPECIAL = {0, -0.0, 1, -1, 1e-30, -1e-30, 20, -20, 88, -88, 100, -100, 1e4, -1e4,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 0.5, -0.5, 3.75};

    @Test
    void reluAndSigmoidMatchTheReference() {
        for (int count : new int[] {0, 1, 15, 16, 17, 1000, 70001}) {
            double[] x = random(count, count, -30, 30);
            if (count >= SPECIAL.length) System.arraycopy(SPECIAL, 0, x, 0, SPECIAL.length);
            for (boolean f32 : new boolean[] {true, false}) {
                double[] xr = LayerReference.rounded(x, f32);
                double[] relu = new double[count], sig = new double[count];
                for (int i = 0; i < count; i++) {
                    relu[i] = Double.isNaN(xr[i]) ? Double.NaN : Math.max(xr[i], 0);
                    sig[i] = LayerReference.sigmoid(xr[i]);
                }
                try (Tensor t = tensor(xr, f32, count); Tensor r = Activation.relu(t); Tensor s = Activation.sigmoid(t)) {
                    LayerReference.assertClose(relu, values(r), 0, 0, "relu n=" + count + " f32=" + f32);
                    // float32: within 2 ulp of the true value (relative 2.4e-7), plus denormals flushed below e^-87
                    LayerReference.assertClose(sig, values(s), f32 ? 3e-7 : 1e-15, f32 ? 1e-37 : 0, "sigmoid n=" + count + " f32=" + f32);
                }
            }
        }
    }

    @Test
    void inPlaceVariantsWriteTheirInput() {
        for (boolean f32 : new boolean[] {true, false}) {
            try (Tensor t = tensor(new double[] {-2, -0.5, 0, 3}, f32, 2, 2)) {
                assertSame(t, Activation.reluInPlace(t));
                assertArrayEquals(new double[] {0, 0, 0, 3}, values(t));
                assertSame(t, Activation.sigmoidInPlace(t));
                assertArrayEquals(new double[] {0.5, 0.5, 0.5, LayerReference.sigmoid(3)}, values(t), f32 ? 1e-7 : 1e-15);
            }
        }
    }

    @Test
    void bitIdenticalForEveryIsaAndThreadCount() {
        double[] x = random(77, 50_003, -40, 40);
        for (boolean f32 : new boolean[] {true, false}) {
            List<double[]> r = new ArrayList<>();
            LayerReference.forEachIsaAndThreads((isa, t) -> {
                try (Tensor tx = tensor(x, f32, x.length); Tensor s = Activation.sigmoid(tx); Tensor rl = Activation.relu(tx)) {
                    r.add(values(s));
                    r.add(values(rl));
                }
            });
            for (int i = 2; i < r.size(); i++) LayerReference.assertSameBits(r.get(i % 2), r.get(i), "f32=" + f32 + " run " + i);
        }
    }

    @Test
    void addInPlaceBroadcastsIntoItsFirstOperand() {
        for (boolean f32 : new boolean[] {true, false}) {
            double[] a = random(1, 24, -1, 1), b = random(2, 3, -1, 1);
            try (Tensor ta = tensor(a, f32, 2, 3, 4); Tensor tb = tensor(b, f32, 3, 1)) {
                assertSame(ta, NnOps.addInPlace(ta, tb));
                double[] got = values(ta);
                for (int i = 0; i < 24; i++) assertEquals((f32 ? (float) a[i] + (float) b[(i / 4) % 3] : a[i] + b[(i / 4) % 3]), got[i], 0.0);
                NnOps.addInPlace(ta, ta);  // a += a: every element read before it is written
                double[] twice = values(ta);
                for (int i = 0; i < 24; i++) assertEquals(2 * got[i], twice[i], 0.0);
            }
        }
        // large float32 takes the streaming path of the CPU kernel
        double[] a = random(3, 3_000_000, -1, 1);
        try (Tensor ta = tensor(a, true, 3_000_000); Tensor tb = tensor(a, true, 3_000_000)) {
            Elementwise.addInPlace(ta, tb);
            double[] got = values(ta);
            for (int i = 0; i < a.length; i += 997) assertEquals(2 * (float) a[i], got[i], 0.0);
        }
    }

    @Test
    void badInputNamesTheArgument() {
        try (Tensor i = Tensor.zeros(DType.INT32, Device.CPU, 4); Tensor a = Tensor.zeros(DType.FLOAT32, Device.CPU, 3);
             Tensor b = Tensor.zeros(DType.FLOAT32, Device.CPU, 2, 3); Tensor d = Tensor.zeros(DType.FLOAT64, Device.CPU, 3)) {
            Rejects.withMessage("relu: x must be float32 or float64, got INT32", () -> Activation.relu(i));
            Rejects.withMessage("sigmoid: x must be float32 or float64", () -> Activation.sigmoidInPlace(i));
            Rejects.withMessage("x must not be null", () -> Activation.relu(null));
            Rejects.withMessage("out is", () -> Elementwise.addInPlace(a, b));   // a would have to grow
            Rejects.withMessage("dtypes differ", () -> Elementwise.addInPlace(a, d));
        }
    }

    @Test
    @RequiresCuda
    void cudaMatchesTheCpu() {
        double[] x = random(8, 5000, -50, 50);
        for (boolean f32 : new boolean[] {true, false}) {
            try (Tensor t = tensor(x, f32, 5000); Tensor s = Activation.sigmoid(t); Tensor g = t.to(Device.cuda(0));
                 Tensor sg = Activation.sigmoid(g)) {
                LayerReference.assertClose(values(s), values(sg), f32 ? 3e-7 : 1e-15, 0, "cuda sigmoid");
                Activation.reluInPlace(g);
                Activation.reluInPlace(t);
                LayerReference.assertClose(values(t), values(g), 0, 0, "cuda relu");
            }
        }
    }

    static {
        assertTrue(SPECIAL.length < 70001);
    }
}
