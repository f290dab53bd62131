#pragma once
// Decides, per iteration, whether to back-propagate (docs/METHOD.md §5). A skipped iteration
// runs the forward pass only, under no-grad, and still updates the center vector and the
// monitors.
//   alternate      every second iteration is skipped: exactly 50 %;
//   loss-quantile  skip a batch whose loss is below the q-quantile of the recent losses;
//   center         skip a batch whose change to CVR's term (how much it pulls the center away
//                  from mu0, or lengthens it) is below the q-quantile of the recent changes:
//                  such a batch gives CVR little to correct;
//   none           always back-propagate.
// loss-quantile and center share one rule over a per-batch signal that the step computes
// without gradient before the gate decides.
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
    double quantile = 0.5; ///< loss-quantile and center: q
    int window = 64;       ///< loss-quantile and center: how many recent signals form the reference
    int warmup = 8;        ///< loss-quantile and center: keep every iteration until this many are known
};

class IterationGate {
public:
    explicit IterationGate(GateConfig config = {});

    /// True when the policy needs a signal of this iteration's batch to decide: the loss for
    /// loss-quantile, the center-vector term for center.
    bool needsSignal() const
    {
        return m_config.policy == GatePolicy::LossQuantile || m_config.policy == GatePolicy::Center;
    }

    /// Decides for iteration `step` (0-based). signal is used by loss-quantile and center only,
    /// which also record it: keep when it is at or above the q-quantile of the recent signals
    /// (every batch is kept until `warmup` signals are known). Updates the kept/skipped counts.
    bool keep(std::int64_t step, double signal = 0.0);

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
