#include "upstep/run/trainsummary.h"

#include "upstep/io/atomicfile.h"

#include <nlohmann/json.hpp>

namespace upstep::core {

nlohmann::json summaryToJson(const TrainSummary &s)
{
    if (s.status == RunStatus::Diverged)
        return {{"status", choiceName(s.status)},
                {"diverged_at_step", s.divergedAtStep},
                {"message", s.message},
                {"last_checkpoint", s.lastCheckpoint}};
    return {{"status", choiceName(s.status)},
            {"steps", s.steps},
            {"total_steps", s.totalSteps},
            {"kept_steps", s.keptSteps},
            {"skipped_steps", s.skippedSteps},
            {"backprop_fraction",
             s.keptSteps + s.skippedSteps > 0
                 ? static_cast<double>(s.keptSteps) / static_cast<double>(s.keptSteps + s.skippedSteps)
                 : 0.0},
            {"resumed_from", s.resumedFrom},
            {"trainable_parameters", s.trainableParameters},
            {"total_parameters", s.totalParameters},
            {"adapter_parameters", s.adapterParameters},
            {"trainable_fraction",
             s.totalParameters ? static_cast<double>(s.trainableParameters) / static_cast<double>(s.totalParameters)
                               : 0.0},
            {"target_images", s.targetImages},
            {"unreadable_images", s.unreadableImages},
            {"wall_s", s.wallSeconds},
            {"images_per_second", s.imagesPerSecond},
            {"kept_iteration_s", s.keptIterationSeconds},
            {"skipped_iteration_s", s.skippedIterationSeconds},
            {"precision", s.precision},
            {"device", s.device},
            {"threads", s.threads},
            {"peak_resident_bytes", s.peakResidentBytes},
            {"adapter", s.adapterFile.string()}};
}

TrainSummary summaryFromJson(const nlohmann::json &j)
{
    TrainSummary s;
    // A status this version does not know (a newer writer's) reads as incomplete: the run stays
    // listed and readable instead of failing as a whole.
    s.status = findChoice<RunStatus>(j.value("status", std::string())).value_or(RunStatus::Incomplete);
    s.divergedAtStep = j.value("diverged_at_step", std::int64_t{-1});
    s.message = j.value("message", std::string());
    s.lastCheckpoint = j.value("last_checkpoint", std::int64_t{-1});
    s.steps = j.value("steps", std::int64_t{0});
    s.totalSteps = j.value("total_steps", std::int64_t{0});
    s.keptSteps = j.value("kept_steps", std::int64_t{0});
    s.skippedSteps = j.value("skipped_steps", std::int64_t{0});
    s.resumedFrom = j.value("resumed_from", std::int64_t{-1});
    s.trainableParameters = j.value("trainable_parameters", std::int64_t{0});
    s.totalParameters = j.value("total_parameters", std::int64_t{0});
    s.adapterParameters = j.value("adapter_parameters", std::int64_t{0});
    s.targetImages = j.value("target_images", std::int64_t{0});
    s.unreadableImages = j.value("unreadable_images", std::int64_t{0});
    s.wallSeconds = j.value("wall_s", 0.0);
    s.imagesPerSecond = j.value("images_per_second", 0.0);
    s.keptIterationSeconds = j.value("kept_iteration_s", 0.0);
    s.skippedIterationSeconds = j.value("skipped_iteration_s", 0.0);
    s.precision = j.value("precision", std::string());
    s.device = j.value("device", std::string());
    s.threads = j.value("threads", 0);
    s.peakResidentBytes = j.value("peak_resident_bytes", std::int64_t{0});
    s.adapterFile = j.value("adapter", std::string());
    return s;
}

void writeTrainSummary(const TrainSummary &summary, const std::filesystem::path &file)
{
    writeJsonAtomically(file, summaryToJson(summary));
}

} // namespace upstep::core
