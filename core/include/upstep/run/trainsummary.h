#pragma once
// What a finished or stopped run reports: summary.json of a run folder. Torch-free, so the
// workbench can read earlier runs.
//
// Threading: a plain value type.

#include "upstep/common/choices.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace upstep::core {

struct TrainSummary {
    RunStatus status = RunStatus::Incomplete; ///< Finished, Stopped or Diverged once written
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
    /// The process's peak resident memory when the loop ended: the run's host memory for the
    /// command line; an upper bound in the workbench, whose process also holds the GUI and
    /// earlier runs. 0 when unknown (summaries written before it was recorded).
    std::int64_t peakResidentBytes = 0;
    std::filesystem::path adapterFile;

    // A diverged run records only these (and its status): the loop never reached its end.
    std::int64_t divergedAtStep = -1;
    std::string message;               ///< why it diverged
    std::int64_t lastCheckpoint = -1;  ///< the newest checkpoint's step, which predates the divergence
};

/// summary.json's content. A Diverged summary holds status, diverged_at_step, message and
/// last_checkpoint; any other the full record.
nlohmann::json summaryToJson(const TrainSummary &summary);
/// The inverse of summaryToJson. Throws nlohmann::json::exception on wrong types.
TrainSummary summaryFromJson(const nlohmann::json &json);

/// The one writer of summary.json: summaryToJson(summary), atomically.
void writeTrainSummary(const TrainSummary &summary, const std::filesystem::path &file);

} // namespace upstep::core
