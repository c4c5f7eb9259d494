#include <stdint.h>

/* x[i] *= k on the GPU in the CUDA variant, on the CPU otherwise; 0 or a CUDA error code. */
int32_t vs_scale(int64_t n, float k, float* x);
const char* vs_status_string(int32_t status);
const char* vs_backend(void);
