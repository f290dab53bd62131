#pragma once
// One line of metrics.jsonl and one event of the trainer's metrics callback: every live monitor
// of docs/METHOD.md §7. Torch-free plain values, so the UI can plot them directly. A monitor
// that was not measured at this step (e.g. the source probe between its intervals) is NaN and is
// left out of the JSON.
//
// Threading: a plain value type.

#include <nlohmann/json_fwd.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

namespace upstep::core {

struct MetricsRecord {
    static constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();

    std::int64_t step = 0;  ///< iterations finished
    std::int64_t totalSteps = 0;
    double epoch = 0;       ///< fractional epoch
    // Losses, averaged over the kept iterations since the previous record.
    double loss = kUnset;
    double clusterLoss = kUnset;
    double cvrLoss = kUnset;
    // Forgetting.
    double muNorm = kUnset;
    double centerDrift = kUnset;  ///< 1 - cos(mu, mu0)
    double featureDrift = kUnset; ///< mean 1 - cos(f_adapted, f_base) on the probe sample
    double sourceProbeTop1 = kUnset;
    // Collapse and progress.
    double clusterEntropy = kUnset; ///< nats, of the last kept batch's targets
    double maxEntropy = kUnset;     ///< log K
    double skippedFraction = 0;
    double learningRate = 0;
    double imagesPerSecond = 0;
    double elapsedSeconds = 0;
};

nlohmann::json metricsToJson(const MetricsRecord &record);
MetricsRecord metricsFromJson(const nlohmann::json &json);

} // namespace upstep::core
