#pragma once
// Center vector regularisation (docs/METHOD.md §5, our reading). mu is an EMA of the batch mean
// of the L2-normalised online features; mu0 is the same mean for the frozen base model, measured
// once on a fixed probe sample. The anchor term lambda |mu_tilde - mu0|^2, with
// mu_tilde = beta mu + (1 - beta) mean(batch), keeps the target distribution as a whole where the
// base model put it; the gradient flows through the batch part only. The magnitude term
// lambda |mu_tilde|^2 instead keeps the center short: the center of normalised embeddings
// lengthens as they collapse towards one direction (Jha et al., arXiv 2402.14957), whatever the
// base model did.
//
// Threading: owned by the training thread. Tensors live on the training device.

#include <torch/torch.h>

namespace upstep::core {

struct CenterVectorConfig {
    double momentum = 0.9; ///< EMA momentum of mu
    double beta = 0.9;     ///< weight of mu in mu_tilde
};

class CenterVector {
public:
    /// mu starts at mu0.
    CenterVector(torch::Tensor mu0, CenterVectorConfig config = {});

    /// Mean of the L2-normalised rows of features [B, D].
    static torch::Tensor batchCenter(const torch::Tensor &features);

    /// lambda |beta mu + (1 - beta) batchCenter(features) - mu0|^2, differentiable in features.
    torch::Tensor anchorLoss(const torch::Tensor &features, double lambda) const;
    /// lambda |beta mu + (1 - beta) batchCenter(features)|^2, differentiable in features: the
    /// center's squared length, which grows as the normalised features crowd into one direction.
    torch::Tensor magnitudeLoss(const torch::Tensor &features, double lambda) const;

    /// mu <- momentum mu + (1 - momentum) batchCenter(features), without gradient.
    void update(const torch::Tensor &features);

    const torch::Tensor &mu() const { return m_mu; }
    const torch::Tensor &mu0() const { return m_mu0; }
    /// |mu|, one of the forgetting monitors.
    double norm() const;
    /// 1 - cos(mu, mu0): 0 while the center has not moved.
    double drift() const;

    /// For checkpoints: mu can be restored exactly.
    void setMu(torch::Tensor mu);
    /// For checkpoints: both centers, exactly as saved.
    void restore(torch::Tensor mu0, torch::Tensor mu);

private:
    torch::Tensor smoothedCenter(const torch::Tensor &features) const; ///< mu_tilde

    torch::Tensor m_mu0;
    torch::Tensor m_mu;
    CenterVectorConfig m_config;
};

} // namespace upstep::core
