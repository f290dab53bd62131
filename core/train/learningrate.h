#pragma once
// The learning-rate schedules of docs/METHOD.md §8: linear warm-up over the first warmupFraction
// of the steps, then a cosine decay to zero (the default) or a constant rate. Functions of the
// step only, so a resumed run follows the same curve.

#include "upstep/common/choices.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace upstep::core {

inline double scheduledRate(LrSchedule schedule, std::int64_t step, std::int64_t totalSteps, double baseRate,
                            double warmupFraction)
{
    const auto warmup = static_cast<std::int64_t>(std::llround(warmupFraction * static_cast<double>(totalSteps)));
    if (step < warmup)
        return baseRate * static_cast<double>(step + 1) / static_cast<double>(warmup);
    if (schedule == LrSchedule::Constant)
        return baseRate;
    const double span = static_cast<double>(std::max<std::int64_t>(totalSteps - warmup, 1));
    const double progress = std::clamp(static_cast<double>(step - warmup) / span, 0.0, 1.0);
    return baseRate * 0.5 * (1.0 + std::cos(M_PI * progress));
}

inline double cosineWithWarmup(std::int64_t step, std::int64_t totalSteps, double baseRate, double warmupFraction)
{
    return scheduledRate(LrSchedule::Cosine, step, totalSteps, baseRate, warmupFraction);
}

} // namespace upstep::core
