// Must not compile: a UI translation unit reaching LibTorch through a core header that includes
// it (tests/layering/CMakeLists.txt).
#include "models/backbone.h"

int layeringBadIndirectProbe() { return 0; }
