#pragma once
// The clustering head of docs/METHOD.md §2: an MLP D -> 1024 -> 1024 -> 256 with GELU whose
// output is L2-normalised, and K fixed prototypes (rows L2-normalised, seeded, never trained).
// The head trains with the adapters and is used only for training; it is not exported.
//
// Threading: a torch module, used by the training thread.

#include <torch/torch.h>

namespace upstep::core {

struct ProjectionHeadConfig {
    int hiddenDim = 1024;
    int outputDim = 256;
    int prototypes = 256;
    std::uint64_t prototypeSeed = 0;
};

class ProjectionHeadImpl : public torch::nn::Module {
public:
    ProjectionHeadImpl(int inputDim, ProjectionHeadConfig config = {});

    /// z = normalise(mlp(features)), [B, outputDim].
    torch::Tensor forward(const torch::Tensor &features);
    /// Prototype scores z P^T, [B, prototypes], in float32.
    torch::Tensor scores(const torch::Tensor &z) const;

    torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
    /// Fixed prototypes [K, outputDim], a buffer, never trained: seeded random rows, or k-means
    /// centroids placed by the trainer; checkpoints store them.
    torch::Tensor prototypes;
};
TORCH_MODULE(ProjectionHead);

} // namespace upstep::core
