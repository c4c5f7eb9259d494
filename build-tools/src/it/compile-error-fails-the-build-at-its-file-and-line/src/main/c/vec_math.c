#include <math.h>
#include "vec_math.h"

int32_t vm_add(int32_t a, int32_t b) {
    return VM_SCALE * (a + b) + not_declared_anywhere;
}

double vm_norm(int64_t n, const double* x) {
    return 0.0;
}
