WIDGET_API widget_t* widget_get(widget_id id);
