#pragma once
// What a front end shows about a weights file before anything runs: the detected architecture,
// its size, head and preprocessing. Loading it is the check that the file is a supported model,
// so a summary exists only for a file the engine can adapt. Torch-free for the workbench.
//
// Threading: a pure function that reads the file; call it off the GUI thread (large files take
// seconds).

#include "upstep/models/archspec.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace upstep::core {

struct BackboneSummary {
    std::filesystem::path file;
    ArchSpec spec;
    std::string description;    ///< describeArch(spec)
    std::string layout;         ///< "timm", "torchvision" or "transformers <class>"
    std::string detectedFrom;   ///< "metadata", "shapes" or "--arch"
    std::int64_t parameters = 0;
    std::int64_t featureDim = 0;
    std::string preprocessing;  ///< one line: size, resize + crop, interpolation, mean, std
    std::string loraTargets;    ///< the layers LoRA goes on by default, e.g. "blocks.N.attn.qkv (12 layers)"
    std::vector<std::string> notes;
};

/// Loads and checks file. Throws IoError/FormatError/InputError with a message for the user when
/// it is not a supported model.
BackboneSummary inspectBackbone(const std::filesystem::path &file, const std::string &archOverride = {});

} // namespace upstep::core
