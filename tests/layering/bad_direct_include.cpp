// Must not compile: a UI translation unit including LibTorch itself (tests/layering/CMakeLists.txt).
#include <ATen/Parallel.h>

int layeringBadDirectProbe() { return 0; }
