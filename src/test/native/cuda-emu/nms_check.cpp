// CudaEmulationTest driver for NMS: ne_nms_cuda (emulated, with the cub sort stand-in) against
// ne_nms_cpu. The keep lists must be identical (same boxes, same order): the CUDA file promises
// exact parity (same sort keys, same IoU operations, same threshold conversion). Inputs are built
// to hit the corners: score ties, NaN and -0/+0 scores, boxes on a half-pixel lattice (exact IoU
// ties with the threshold, both suppress-on-equal modes), degenerate boxes (NaN IoU), batched
// categories including huge ids, and n around the 64-box mask word (63, 64, 65, 130, 200).
#include "emu_check.h"
extern "C" {
#include "ne_nms.h"
}

using namespace emu_check;

namespace {

template <class T>
void run_case(int32_t dtype, int64_t n, bool batched, double thr, double offset, int32_t flags, uint64_t seed) {
    set_case("nms dtype=%d n=%ld batched=%d thr=%g offset=%g flags=%d seed=%lu", dtype, (long) n, batched, thr, offset,
             flags, (unsigned long) seed);
    Rng r(seed);
    Buf<T> boxes((size_t) n * 4), scores((size_t) n);
    Buf<int64_t> idxs((size_t) n);
    for (int64_t i = 0; i < n; i++) {
        // Clustered boxes on a 0.5 lattice, so that overlaps are frequent and IoUs often exact.
        double cx = 4.0 * (double) r.below(4), cy = 4.0 * (double) r.below(3);
        double x1 = cx + 0.5 * (double) r.below(6), y1 = cy + 0.5 * (double) r.below(6);
        double w = 0.5 * (double) r.below(10), h = 0.5 * (double) r.below(10);  // 0: degenerate
        T* b = &boxes[i * 4];
        b[0] = (T) x1, b[1] = (T) y1, b[2] = (T) (x1 + w), b[3] = (T) (y1 + h);
        int64_t kind = r.below(20);
        scores[i] = kind == 0 ? (T) NAN : kind == 1 ? (T) -0.0 : kind == 2 ? (T) 0.0
                  : kind < 10 ? (T) (0.125 * (double) r.below(8)) : (T) r.uniform(-1, 1);
        int64_t cat = r.below(3);
        idxs[i] = cat == 2 ? ((int64_t) 1 << 40) + (int64_t) r.below(2) : cat;  // ids beyond 32 bits
    }
    // A pair with IoU exactly 0.5 (offset 0) at the front: [0,0,3,1] and [1,0,4,1].
    if (n >= 2) {
        T pair[8] = {0, 0, 3, 1, 1, 0, 4, 1};
        for (int j = 0; j < 8; j++) boxes[j] = pair[j];
        scores[0] = (T) 2, scores[1] = (T) 1.5, idxs[0] = idxs[1] = 0;
    }
    const int64_t* ip = batched ? idxs.data() : nullptr;
    Buf<int64_t> keep_cpu((size_t) n, -5), count_cpu(1, -5);
    expect_status("cpu", ne_nms_cpu(dtype, n, boxes.data(), scores.data(), ip, thr, offset, flags, 1, 0, keep_cpu.data(),
                                    count_cpu.data()), NE_OK);
    int64_t bytes = -1;
    if (!expect_status("cuda workspace", ne_nms_cuda_workspace(dtype, n, &bytes), NE_OK)) return;
    Buf<unsigned char> ws((size_t) bytes, 0xCD);  // device memory is not zeroed
    Buf<int64_t> keep((size_t) n, -5), count(1, -5);
    if (!expect_status("cuda", ne_nms_cuda(dtype, n, boxes.data(), scores.data(), ip, thr, offset, flags, ws.data(), bytes,
                                           keep.data(), count.data(), nullptr), NE_OK))
        return;
    check_guards("workspace", ws);
    check_guards("keep", keep);
    checks()++;
    if (count[0] != count_cpu[0]) {
        failf("kept %ld boxes, the CPU kept %ld", (long) count[0], (long) count_cpu[0]);
        return;
    }
    checks()++;
    for (int64_t i = 0; i < count[0]; i++) {
        if (keep[i] != keep_cpu[i]) {
            failf("keep[%ld] = %ld, the CPU has %ld (box %ld: score %g)", (long) i, (long) keep[i], (long) keep_cpu[i],
                  (long) keep_cpu[i], (double) scores[keep_cpu[i]]);
            return;
        }
    }
}

template <class T>
void run_all(int32_t dtype) {
    uint64_t seed = 3000 + 1000 * (uint64_t) dtype;
    for (int64_t n : {1, 2, 5, 63, 64, 65, 130, 200})
        for (bool batched : {false, true})
            for (double thr : {0.0, 0.3, 0.5, 0.7, 1.0})
                for (double offset : {0.0, 1.0})
                    for (int32_t flags : {0, NE_NMS_SUPPRESS_ON_EQUAL}) run_case<T>(dtype, n, batched, thr, offset, flags, ++seed);
}

void edge_cases() {
    for (int32_t dtype : {0, 1}) {
        set_case("nms edge dtype=%d", dtype);
        Buf<double> boxes(8, 1.0), scores(2, 1.0);
        Buf<int64_t> keep(2, -5), count(1, -5);
        int64_t bytes = -1;
        expect_status("workspace n=0", ne_nms_cuda_workspace(dtype, 0, &bytes), NE_OK);
        expect_status("cuda n=0", ne_nms_cuda(dtype, 0, boxes.data(), scores.data(), nullptr, 0.5, 0, 0, nullptr, 0,
                                              keep.data(), count.data(), nullptr), NE_OK);
        checks()++;
        if (count[0] != 0) failf("n=0: count %ld, expected 0", (long) count[0]);
        expect_status("workspace n=-1", ne_nms_cuda_workspace(dtype, -1, &bytes), NE_ERR_INVALID_ARGUMENT);
        expect_status("workspace n=2", ne_nms_cuda_workspace(dtype, 2, &bytes), NE_OK);
        Buf<unsigned char> ws((size_t) bytes);
        expect_status("cuda thr=NaN", ne_nms_cuda(dtype, 2, boxes.data(), scores.data(), nullptr, NAN, 0, 0, ws.data(), bytes,
                                                  keep.data(), count.data(), nullptr), NE_ERR_INVALID_ARGUMENT);
        expect_status("cpu thr=NaN", ne_nms_cpu(dtype, 2, boxes.data(), scores.data(), nullptr, NAN, 0, 0, 1, 0, keep.data(),
                                                count.data()), NE_ERR_INVALID_ARGUMENT);
        expect_status("cpu offset=NaN", ne_nms_cpu(dtype, 2, boxes.data(), scores.data(), nullptr, 0.5, NAN, 0, 1, 0, keep.data(),
                                                   count.data()), NE_ERR_INVALID_ARGUMENT);
        expect_status("cuda offset=NaN", ne_nms_cuda(dtype, 2, boxes.data(), scores.data(), nullptr, 0.5, NAN, 0, ws.data(),
                                                     bytes, keep.data(), count.data(), nullptr), NE_ERR_INVALID_ARGUMENT);
        expect_status("cuda workspace too small", ne_nms_cuda(dtype, 2, boxes.data(), scores.data(), nullptr, 0.5, 0, 0,
                                                              ws.data(), bytes - 1, keep.data(), count.data(), nullptr),
                      NE_ERR_INVALID_ARGUMENT);
        expect_status("cuda no workspace", ne_nms_cuda(dtype, 2, boxes.data(), scores.data(), nullptr, 0.5, 0, 0, nullptr,
                                                       bytes, keep.data(), count.data(), nullptr), NE_ERR_INVALID_ARGUMENT);
    }
    set_case("nms edge dtype=2");
    int64_t bytes = 0;
    expect_status("workspace dtype=2", ne_nms_cuda_workspace(2, 4, &bytes), NE_ERR_UNSUPPORTED_DTYPE);
}

}  // namespace

int main() {
    run_all<float>(0);
    run_all<double>(1);
    edge_cases();
    return finish("nms");
}
