package dev.nativeext.ops;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ne_image_resize_normalize takes (threads, isa) like every CPU entry point: each thread count
 * (row ranges of both passes) and each variant (baseline, AVX2) gives the same bits.
 */
class ImageResizeThreadsTest {

    /** Two-tap taps with weights summing to 2^22 (the kernel's fixed point), out outputs over in inputs. */
    private static int[][] taps(int out, int in, Random r) {
        int[] first = new int[out], count = new int[out], weight = new int[2 * out];
        for (int i = 0; i < out; i++) {
            first[i] = (int) ((long) i * (in - 1) / out);
            count[i] = 2;
            int a = r.nextInt(1 << 22);
            weight[2 * i] = a;
            weight[2 * i + 1] = (1 << 22) - a;
        }
        return new int[][] {first, count, weight};
    }

    @Test
    void everyThreadCountAndIsaGivesTheSameBits() {
        Random r = new Random(11);
        int h = 300, w = 310, outH = 200, outW = 250;
        byte[] src = new byte[h * w * 3];
        r.nextBytes(src);
        int[][] ht = taps(outW, w, r), vt = taps(outH, h, r);
        float[] lut = new float[3 * 256];
        for (int i = 0; i < lut.length; i++) lut[i] = (i % 256 - 120f) / 57f;
        int[] planeSrc = {2, 1, 0};
        float[] mean = {0f, 100f, 0f}, std = {1f, 58f, 1f};
        int[] plain = {0, 1, 0};
        float[] want = null;
        for (int flip = 0; flip < 2; flip++) {
            want = null;
            for (int isa = 1; isa <= 2; isa++) {
                for (int threads = 1; threads <= 3; threads++) {
                    float[] out = new float[3 * outH * outW];
                    byte[] scratch = new byte[3 * h * outW];
                    int st = ImageResizeNative.ne_image_resize_normalize(h, w, src, outH, outW, 2, ht[0], ht[1], ht[2], 2,
                            vt[0], vt[1], vt[2], lut, planeSrc, plain, mean, std, flip, scratch, out, threads, isa);
                    assertEquals(0, st);
                    if (want == null) want = out;
                    else assertArrayEquals(want, out, "flip=" + flip + " isa=" + isa + " threads=" + threads);
                }
            }
        }
    }
}
