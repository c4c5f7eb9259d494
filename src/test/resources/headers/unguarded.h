extern "C" {
int inside_block(int x);
}
extern "C" double single_linkage(double y);
extern "C"
{
    void second_block(void);
}
