#pragma once
// The losses of a run's kept iterations between two logging steps.
//
// Threading: owned by the training thread; the tensors stay on the training device.

#include "upstep/run/metricsrecord.h"

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace upstep::core {

/// Losses of the kept iterations since the last check, left on the device so that the loop does
/// not synchronise every step (docs/ARCHITECTURE.md: read values only at the logging interval).
struct PendingLosses {
    std::vector<std::int64_t> steps;
    std::vector<torch::Tensor> total, cluster, cvr;

    void add(std::int64_t step, const torch::Tensor &l, const torch::Tensor &c, const torch::Tensor &v)
    {
        steps.push_back(step);
        total.push_back(l.detach());
        cluster.push_back(c.detach());
        cvr.push_back(v.detach());
    }
    /// The first step whose loss is not finite, or -1.
    std::int64_t firstNonFinite() const
    {
        if (total.empty())
            return -1;
        const auto finite = torch::isfinite(torch::stack(total)).to(torch::kCPU);
        for (std::size_t i = 0; i < steps.size(); ++i)
            if (!finite[static_cast<std::int64_t>(i)].item<bool>())
                return steps[i];
        return -1;
    }
    static double mean(const std::vector<torch::Tensor> &values)
    {
        return values.empty() ? MetricsRecord::kUnset : torch::stack(values).mean().item<double>();
    }
    void clear() { *this = {}; }
};

} // namespace upstep::core
