#pragma once
// The clustering objective of docs/METHOD.md §4 (SwAV-style swapped prediction against fixed
// prototypes): Sinkhorn-Knopp targets with equipartition over the batch, and the cross-entropy
// of each view's prediction against the other view's target. Computed in float32 whatever the
// model's precision.
//
// Threading: pure functions; call from the training thread.

#include <torch/torch.h>

#include <vector>

namespace upstep::core {

/// Soft assignments [B, K] from prototype scores [B, K]: exp(scores / epsilon), then
/// `iterations` rounds of alternately normalising prototypes to mass 1/K and samples to mass 1/B.
/// Rows of the result sum to 1 exactly; prototype totals approach B/K as iterations grow.
/// No gradient flows through the result.
torch::Tensor sinkhornKnopp(const torch::Tensor &scores, double epsilon = 0.05, int iterations = 3);

/// Swapped prediction: each target predicts the other global view, and both targets predict every
/// small crop. Returns the mean over those pairs of -sum_k q_k log softmax(s / temperature)_k,
/// averaged over the batch: with two views only, -1/2 mean_b [q1.log p2 + q2.log p1].
torch::Tensor swappedPredictionLoss(const torch::Tensor &scores1, const torch::Tensor &scores2,
                                    const torch::Tensor &targets1, const torch::Tensor &targets2,
                                    double temperature = 0.1, const std::vector<torch::Tensor> &cropScores = {});

/// Entropy (nats) of the mean target distribution over prototypes: log K when clusters are used
/// evenly, 0 when everything collapses into one. The live collapse detector.
double clusterUsageEntropy(const torch::Tensor &targets);

} // namespace upstep::core
