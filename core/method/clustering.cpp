#include "method/clustering.h"

#include "upstep/common/error.h"

#include <cmath>

namespace upstep::core {

torch::Tensor sinkhornKnopp(const torch::Tensor &scores, double epsilon, int iterations)
{
    if (scores.dim() != 2)
        throw InputError("Sinkhorn-Knopp needs scores [batch, prototypes]");
    if (!(epsilon > 0) || iterations < 1)
        throw InputError("Sinkhorn-Knopp needs epsilon > 0 and at least one iteration");
    torch::NoGradGuard noGrad;
    const double logBatch = std::log(static_cast<double>(scores.size(0)));
    const double logPrototypes = std::log(static_cast<double>(scores.size(1)));
    // In the log domain, so that a prototype no sample is near cannot underflow to 0 / 0.
    auto logQ = scores.detach().to(torch::kFloat32) / epsilon;
    for (int i = 0; i < iterations; ++i) {
        logQ = logQ - (logQ.logsumexp(0, true) + logPrototypes); // each prototype: mass 1/K
        logQ = logQ - (logQ.logsumexp(1, true) + logBatch);      // each sample: mass 1/B
    }
    return (logQ + logBatch).exp();
}

torch::Tensor swappedPredictionLoss(const torch::Tensor &scores1, const torch::Tensor &scores2,
                                    const torch::Tensor &targets1, const torch::Tensor &targets2, double temperature,
                                    const std::vector<torch::Tensor> &cropScores)
{
    if (!(temperature > 0))
        throw InputError("the prediction temperature must be positive");
    auto crossEntropy = [temperature](const torch::Tensor &target, const torch::Tensor &scores) {
        const auto logP = torch::log_softmax(scores.to(torch::kFloat32) / temperature, 1);
        return -(target.detach() * logP).sum(1).mean();
    };
    auto total = crossEntropy(targets1, scores2) + crossEntropy(targets2, scores1);
    int terms = 2;
    for (const auto &crop : cropScores) {
        total = total + crossEntropy(targets1, crop) + crossEntropy(targets2, crop);
        terms += 2;
    }
    return total / terms;
}

double clusterUsageEntropy(const torch::Tensor &targets)
{
    torch::NoGradGuard noGrad;
    const auto usage = targets.to(torch::kFloat64).mean(0);
    const auto p = usage / usage.sum();
    return -(p * p.clamp_min(1e-30).log()).sum().item<double>();
}

} // namespace upstep::core
