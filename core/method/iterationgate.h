#pragma once
// Decides, per iteration, whether to back-propagate (docs/METHOD.md §5). A skipped iteration
// runs the forward pass only, under no-grad, and still updates the center vector and the
// monitors.
//   alternate      every second iteration is skipped: exactly 50 %;
//   loss-quantile  skip a batch whose loss is below the q-quantile of the recent losses;
//   none           always back-propagate.
// Torch-free, so the UI can show the policy and statistics.
//
// Threading: owned by the training thread.

#include "upstep/common/choices.h"

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace upstep::core {

struct GateConfig {
    GatePolicy policy = GatePolicy::Alternate;
    double quantile = 0.5; ///< loss-quantile: q
    int window = 64;       ///< loss-quantile: how many recent losses form the reference
    int warmup = 8;        ///< loss-quantile: keep every iteration until this many losses are known
};

class IterationGate {
public:
    explicit IterationGate(GateConfig config = {});

    /// True when the policy needs this iteration's loss (computed without gradient) to decide.
    bool needsLoss() const { return m_config.policy == GatePolicy::LossQuantile; }

    /// Decides for iteration `step` (0-based). loss is used by loss-quantile only, which also
    /// records it. Updates the kept/skipped counts.
    bool keep(std::int64_t step, double loss = 0.0);

    std::int64_t kept() const { return m_kept; }
    std::int64_t skipped() const { return m_skipped; }
    double skippedFraction() const;
    const GateConfig &config() const { return m_config; }

    /// Everything needed to continue bit-identically after a resume.
    std::vector<double> state() const;
    void restore(const std::vector<double> &state);

private:
    GateConfig m_config;
    std::deque<double> m_recent;
    std::int64_t m_kept = 0;
    std::int64_t m_skipped = 0;
};

} // namespace upstep::core
