#include <math.h>
#include "vec_math.h"

int32_t vm_add(int32_t a, int32_t b) {
    return VM_SCALE * (a + b);
}

double vm_norm(int64_t n, const double* x) {
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) s += x[i] * x[i];
    return sqrt(s);
}
