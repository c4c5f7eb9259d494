#ifndef MYLIB_GUARDED_H
#define MYLIB_GUARDED_H

#include <stdint.h>
#include "other.h"

#if defined(_WIN32)
#  define MYLIB_API __declspec(dllexport)
#else
#  define MYLIB_API __attribute__((visibility("default")))
#endif
#define MYLIB_EMPTY
#define MYLIB_LONG_MACRO \
    __attribute__((visibility("default"))) \
    __attribute__((nonnull))
#define MYLIB_VERSION 3

#ifdef __cplusplus
extern "C" {
#endif

// int commented_out(int x);
/* float also_commented(float y);
   double and_this(void); */

/** Adds two numbers. */
MYLIB_API int add(int a, int b);

MYLIB_EMPTY extern float
scale(
    const float* in,   /* input, not written */
    float *out,        // output
    size_t n
);

MYLIB_LONG_MACRO void* make_buffer(size_t bytes) __attribute__((malloc));

int no_names(int, float*, const char*);

void no_params();

#ifdef __cplusplus
}
#endif

#endif /* MYLIB_GUARDED_H */
