/* One variant of the image-resize row kernels (ne_image_resize_cpu.c includes it once per
 * variant, with the convention of ne_parallel.h): NE_SFX and NE_TARGET. gcc vectorises the row
 * loops; the results are integers until the last step, so every variant gives the same bits. */

/* One source row (interleaved) into three planar rows. */
NE_TARGET static void NE_CAT(ne_ir_hrow, NE_SFX)(const uint8_t* in, int64_t out_w, int64_t hks, const int32_t* first,
                                                 const int32_t* count, const int32_t* weight, uint8_t* p0,
                                                 uint8_t* p1, uint8_t* p2) {
    for (int64_t xx = 0; xx < out_w; xx++) {
        const uint8_t* px = in + (int64_t) first[xx] * 3;
        const int32_t* k = weight + xx * hks;
        int32_t s0 = HALF, s1 = HALF, s2 = HALF;
        if (count[xx] == 2) {
            s0 += px[0] * k[0] + px[3] * k[1];
            s1 += px[1] * k[0] + px[4] * k[1];
            s2 += px[2] * k[0] + px[5] * k[1];
        } else {
            for (int32_t t = 0; t < count[xx]; t++, px += 3) {
                s0 += px[0] * k[t];
                s1 += px[1] * k[t];
                s2 += px[2] * k[t];
            }
        }
        p0[xx] = (uint8_t) clip8(s0);
        p1[xx] = (uint8_t) clip8(s1);
        p2[xx] = (uint8_t) clip8(s2);
    }
}

/* One output row of one plane from rows ra (weight wa) and rb (weight wb). */
NE_TARGET static void NE_CAT(ne_ir_v2plain, NE_SFX)(const uint8_t* restrict a, const uint8_t* restrict b, int32_t wa,
                                                    int32_t wb, int64_t w, float mean, float std,
                                                    float* restrict out) {
    for (int64_t x = 0; x < w; x++) {
        int32_t v = (HALF + a[x] * wa + b[x] * wb) >> PRECISION_BITS;
        v = v < 0 ? 0 : (v > 255 ? 255 : v);
        out[x] = ((float) v - mean) / std;
    }
}
