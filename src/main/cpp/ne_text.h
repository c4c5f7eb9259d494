/* Text handed back to Java through a caller's buffer (the descriptions of run-time libraries). */
#ifndef NE_TEXT_H
#define NE_TEXT_H
#include <stdint.h>
#include <string.h>

/* Copies text into out (capacity bytes), cut to fit and NUL-terminated; nothing when out is NULL
 * or capacity < 1. */
static inline void ne_copy_text(const char* text, char* out, int64_t capacity) {
    if (out == NULL || capacity < 1) return;
    size_t n = strlen(text);
    if (n > (size_t) capacity - 1) n = (size_t) capacity - 1;
    memcpy(out, text, n);
    out[n] = '\0';
}

#endif
