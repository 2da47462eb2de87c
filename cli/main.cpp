// (being written)
#include <cstdio>
int main() { std::puts("fabricctl: not yet"); return 1; }
