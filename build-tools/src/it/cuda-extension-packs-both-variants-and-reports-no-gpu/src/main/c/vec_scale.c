#include "vec_scale.h"

#ifdef WITH_CUDA
int32_t vs_scale_cuda(int64_t n, float k, float* x);
const char* vs_cuda_status_string(int32_t status);
#endif

int32_t vs_scale(int64_t n, float k, float* x) {
#ifdef WITH_CUDA
    return vs_scale_cuda(n, k, x);
#else
    for (int64_t i = 0; i < n; i++) x[i] *= k;
    return 0;
#endif
}

const char* vs_status_string(int32_t status) {
#ifdef WITH_CUDA
    return vs_cuda_status_string(status);
#else
    return status == 0 ? "no error" : "unknown error";
#endif
}

const char* vs_backend(void) {
#ifdef WITH_CUDA
    return "cuda";
#else
    return "cpu";
#endif
}
