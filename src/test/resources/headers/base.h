typedef struct widget widget_t;
typedef int widget_id;
#define WIDGET_API
