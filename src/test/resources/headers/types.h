struct engine;
struct engine* engine_create(int id);
void engine_destroy(struct engine* e);

struct point { float x, y; struct { int z; } inner; };
float point_norm(const struct point* p);

typedef struct engine engine_t;
typedef struct session* session_handle;
typedef struct {
    int w;
    int h;
} size2d;

engine_t* engine_of(session_handle s);
void size_area(const size2d* s, long long* out);

enum color { RED, GREEN = 3, BLUE = (1 << 4) | GREEN };
typedef enum { OK = 0, FAILED = -1 } status_t;
typedef enum color color_t;

status_t paint(enum color c, color_t fallback);

typedef float real;
typedef float* fptr;
typedef const float* cfptr;
typedef unsigned long long u64;
typedef u64 id_type;

void typed(real r, fptr p, const fptr* pp, cfptr c, id_type id);
void opaque_unknown_tag(struct never_declared* thing);
void deep(float** m, const char** names, char* const* labels, void* blob);
