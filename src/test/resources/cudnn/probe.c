#include <stdlib.h>
#include <string.h>
#include "probe.h"
#include "ne_cudnn.h"

static ne_cudnn dnn;
static void* handle;

int32_t probe_open(const char* library, char* description, int64_t capacity) {
    int32_t st = ne_cudnn_open(library, "direct", &dnn);
    handle = NULL;
    if (dnn.lib != NULL && dnn.create(&handle) != 0) handle = NULL;
    size_t n = strlen(dnn.description);
    if (n > (size_t) capacity - 1) n = (size_t) capacity - 1;
    memcpy(description, dnn.description, n);
    description[n] = '\0';
    return st;
}

static int32_t conv(int32_t dtype, const int64_t* dims, const int64_t* conv, const void* x, const void* w, void* y,
                    int64_t* chosen) {
    if (dnn.lib == NULL) return -2;
    ne_cudnn_plan plan;
    int status = 0;
    if (ne_cudnn_plan_make(&dnn, handle, dtype, dims, conv, &plan, &status)) return -1;
    if (status != 0) return status;
    chosen[0] = plan.algo;
    chosen[1] = (int64_t) plan.workspace;
    void* ws = plan.workspace ? malloc(plan.workspace) : NULL;
    status = ne_cudnn_plan_run(&dnn, handle, (void*) 0x5eed, &plan, x, w, y, ws);
    free(ws);
    ne_cudnn_plan_free(&dnn, &plan);
    return status;
}

int32_t probe_sconv(const int64_t* dims, const int64_t* c, const float* x, const float* w, float* y, int64_t* chosen) {
    return conv(0, dims, c, x, w, y, chosen);
}

int32_t probe_dconv(const int64_t* dims, const int64_t* c, const double* x, const double* w, double* y, int64_t* chosen) {
    return conv(1, dims, c, x, w, y, chosen);
}

int32_t probe_refuse(int32_t on) {
    void (*refuse)(int) = dnn.lib ? (void (*)(int)) dlsym(dnn.lib, "fake_cudnn_refuse") : NULL;
    if (refuse == NULL) return -1;
    refuse(on);
    return 0;
}

int64_t probe_last_stream(void) {
    if (dnn.lib == NULL) return -1;
    void* (*last)(void) = (void* (*)(void)) dlsym(dnn.lib, "fake_cudnn_last_stream");
    return last == NULL ? -1 : (int64_t) (intptr_t) last();
}
