#pragma once
// What a finished or stopped run reports: summary.json of a run folder. Torch-free, so the
// workbench can read earlier runs.
//
// Threading: a plain value type.

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace upstep::core {

struct TrainSummary {
    std::string status;            ///< "finished" or "stopped"
    std::int64_t steps = 0;        ///< iterations done, including those before a resume
    std::int64_t totalSteps = 0;
    std::int64_t keptSteps = 0;
    std::int64_t skippedSteps = 0;
    std::int64_t resumedFrom = -1; ///< step of the checkpoint resumed from, -1 for a fresh run
    std::int64_t trainableParameters = 0; ///< LoRA + projection head (the head is not exported)
    std::int64_t totalParameters = 0;     ///< backbone + projection head
    std::int64_t adapterParameters = 0;   ///< LoRA only: what an export holds
    std::int64_t targetImages = 0;
    std::int64_t unreadableImages = 0;
    double wallSeconds = 0;        ///< this invocation's training loop
    double imagesPerSecond = 0;    ///< target images through the loop per second
    double keptIterationSeconds = 0;    ///< mean wall time of a back-propagated iteration
    double skippedIterationSeconds = 0; ///< mean wall time of a skipped (forward-only) one
    std::string precision, device;
    int threads = 0;
    std::filesystem::path adapterFile;
};

nlohmann::json summaryToJson(const TrainSummary &summary);
/// The inverse of summaryToJson. Throws nlohmann::json::exception on wrong types.
TrainSummary summaryFromJson(const nlohmann::json &json);

} // namespace upstep::core
