// Fuzz target: the training config reader (core/run/trainconfig.cpp). The input is a whole
// config.json, read as `upstep adapt --config` and the workbench's session files read it:
// loadTrainConfig(path) then validateTrainConfig (ui/window/sessionfiles.cpp loadSession() is
// exactly these two calls, so this covers the session reader too). A config that is read is
// also written back (trainConfigToJson) and read again: the two must agree.
//
// With UPSTEP_FUZZ_WRITE_SEED=FILE set, it writes a config.json with the project's own writer
// (saveTrainConfig) to FILE and exits: scripts/fuzz seeds the corpus with it.
#include "fuzzsupport.h"
#include "upstep/run/trainconfig.h"

#include <nlohmann/json.hpp>

#include <cstdlib>

using namespace upstep::core;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    if (const char *out = std::getenv("UPSTEP_FUZZ_WRITE_SEED")) {
        TrainConfig config;
        config.weights = "/root/.cache/upstep/models/demo-mnist-vit.safetensors";
        config.target = "/root/.cache/upstep/folders/fashion-mnist/train";
        config.targetTest = "/root/.cache/upstep/folders/fashion-mnist/test";
        config.steps = 400;
        config.loraTargets = {"qkv", "proj"};
        config.device = "cpu";
        saveTrainConfig(config, out);
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static upstep::fuzz::MemoryFile file("fuzz-config");
    const auto &path = file.write(data, size);
    upstep::fuzz::expectTypedErrors([&] {
        const auto config = loadTrainConfig(path);
        const auto json = trainConfigToJson(config);
        if (trainConfigToJson(trainConfigFromJson(json)) != json)
            upstep::fuzz::finding("invariant", "a config read back from its own JSON differs");
        validateTrainConfig(config);
    });
    return 0;
}
