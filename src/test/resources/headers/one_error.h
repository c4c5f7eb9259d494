void before(int a);
double broken(float x, ...);
void after(const char* name);
