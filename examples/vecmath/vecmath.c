#include "vecmath.h"

#define VM_STR2(x) #x
#define VM_STR(x) VM_STR2(x)

int32_t vm_add(int32_t a, int32_t b) {
    return a + b;
}

void vm_saxpy(int64_t n, float a, const float* x, float* y) {
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

double vm_dot(int64_t n, const double* x, const double* y) {
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) s += x[i] * y[i];
    return s;
}

const char* vm_version(void) {
#ifdef __GNUC__
    return "vecmath 1.0 (gcc " VM_STR(__GNUC__) "." VM_STR(__GNUC_MINOR__) "." VM_STR(__GNUC_PATCHLEVEL__) ")";
#else
    return "vecmath 1.0";
#endif
}
