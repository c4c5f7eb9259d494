#include <stdint.h>

int32_t vm_add(int32_t a, int32_t b);
double vm_norm(int64_t n, const double* x);
