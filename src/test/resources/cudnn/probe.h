/* Test entry points around src/main/cpp/ne_cudnn.h (see CudnnLoaderTest). */
#include <stdint.h>

/* ne_cudnn_open(library) then, when loaded, a handle: the status, the description. */
int32_t probe_open(const char* library, char* description, int64_t capacity);

/* ne_cudnn_plan_make + ne_cudnn_plan_run on host memory with the stream 0x5eed, dims (10) and conv
 * (6) as in include/ne_conv2d.h: -2 when no cuDNN is loaded, -1 when cuDNN cannot take the case,
 * else the cuDNN status; chosen[0] the algorithm, chosen[1] its workspace bytes. */
int32_t probe_sconv(const int64_t* dims, const int64_t* conv, const float* x, const float* w, float* y, int64_t* chosen);
int32_t probe_dconv(const int64_t* dims, const int64_t* conv, const double* x, const double* w, double* y, int64_t* chosen);

/* The loaded stand-in's fake_cudnn_refuse(on) (its heuristics then offer nothing usable); 0, or -1 without one. */
int32_t probe_refuse(int32_t on);

/* The stream the loaded library last saw in cudnnSetStream (via its fake_cudnn_last_stream). */
int64_t probe_last_stream(void);
