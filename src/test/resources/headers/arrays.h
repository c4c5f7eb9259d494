void fill(float x[], float y[16], const float z[static 4], int n);
void qualified(const float* restrict a, float const* __restrict b, float* const c, volatile int* __restrict__ d);
__attribute__((warn_unused_result)) int attributed(int x __attribute__((unused)));
void spaced(const   float   *   p);
