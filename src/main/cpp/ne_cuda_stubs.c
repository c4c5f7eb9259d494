/* The CUDA entry points of a library built without CUDA: each says so instead of being absent,
 * so that the CPU library links with --no-undefined and a CUDA call fails with a clear status. */
#ifndef WITH_CUDA
#include <stddef.h>
#include "ne_elementwise.h"
#include "ne_status.h"

int32_t ne_binary_cuda(int32_t op, int32_t dtype, int32_t ndim, const int64_t* shape,
                       const void* a, const int64_t* a_strides,
                       const void* b, const int64_t* b_strides,
                       void* out, void* stream) {
    (void) op; (void) dtype; (void) ndim; (void) shape; (void) a; (void) a_strides;
    (void) b; (void) b_strides; (void) out; (void) stream;
    return NE_ERR_NOT_BUILT_WITH_CUDA;
}
#endif
