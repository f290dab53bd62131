#pragma once
// The offline stream's weights (docs/METHOD.md §3): an exponential moving average of the online
// LoRA and head parameters only. The offline forward swaps these values into the online modules
// for the duration of a no-grad pass (exchange(), twice), so the frozen base weights are never
// copied.
//
// Threading: owned by the training thread; tensors live on the training device.

#include <torch/torch.h>

#include <string>
#include <vector>

namespace upstep::core {

class EmaWeights {
public:
    /// Tracks these parameters (usually LoRA and head), starting from their current values.
    explicit EmaWeights(std::vector<torch::Tensor> parameters);

    /// ema <- momentum ema + (1 - momentum) online, without gradient.
    void update(double momentum);

    /// Swaps the values of the tracked parameters and the EMA in place. Calling it twice restores
    /// the online weights bit for bit.
    void exchange();

    /// Momentum on a cosine ramp from base (step 0) to 1 (last step).
    static double cosineMomentum(std::int64_t step, std::int64_t totalSteps, double base = 0.99);

    const std::vector<torch::Tensor> &averages() const { return m_averages; }
    /// For checkpoints.
    void restore(const std::vector<torch::Tensor> &averages);

private:
    std::vector<torch::Tensor> m_parameters;
    std::vector<torch::Tensor> m_averages;
};

} // namespace upstep::core
