// Compiles: the public API is all a UI translation unit needs (tests/layering/CMakeLists.txt).
#include "upstep/run/runrecord.h"
#include "upstep/train/trainer.h"

int layeringGoodProbe() { return static_cast<int>(upstep::core::TrainConfig().loraRank); }
