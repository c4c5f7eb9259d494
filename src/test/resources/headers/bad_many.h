#include <stdarg.h>
int printf_like(const char* fmt, ...);
void set_callback(void (*cb)(int), int flags);
int good_one(int x);
static inline int helper(int x) { return x * 2; }
int defined_here(int x) {
    return x + 1;
}
int counter;
unknown_t make(void);
long double precise(void);
struct vec { float v[3]; };
float length(struct vec v);
int good_two(float y);
