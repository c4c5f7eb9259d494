/* The example extension's exported functions: the header that NativeExtension binds. */
#ifndef VECMATH_H
#define VECMATH_H

#include <stdint.h>

int32_t vm_add(int32_t a, int32_t b);

/* y[i] += a * x[i] for i in [0, n) */
void vm_saxpy(int64_t n, float a, const float* x, float* y);

double vm_dot(int64_t n, const double* x, const double* y);

/* A static string naming the build, e.g. "vecmath 1.0 (gcc 12.2.0)". */
const char* vm_version(void);

#endif
