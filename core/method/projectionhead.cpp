#include "method/projectionhead.h"

#include "upstep/common/error.h"
#include "common/torchcompat.h"

namespace upstep::core {

namespace F = torch::nn::functional;

ProjectionHeadImpl::ProjectionHeadImpl(int inputDim, ProjectionHeadConfig config)
{
    if (inputDim < 1 || config.hiddenDim < 1 || config.outputDim < 1 || config.prototypes < 2)
        throw InputError("projection head needs positive sizes and at least two prototypes");
    fc1 = register_module("fc1", torch::nn::Linear(inputDim, config.hiddenDim));
    fc2 = register_module("fc2", torch::nn::Linear(config.hiddenDim, config.hiddenDim));
    fc3 = register_module("fc3", torch::nn::Linear(config.hiddenDim, config.outputDim));
    // A private generator: the prototypes depend on their seed only, not on what ran before.
    auto generator = at::make_generator<at::CPUGeneratorImpl>(config.prototypeSeed);
    auto p = at::normal(0.0, 1.0, {config.prototypes, config.outputDim}, generator);
    prototypes = register_buffer("prototypes", F::normalize(p, F::NormalizeFuncOptions().dim(1)));
}

torch::Tensor ProjectionHeadImpl::forward(const torch::Tensor &features)
{
    auto h = F::gelu(fc1(features));
    h = F::gelu(fc2(h));
    return F::normalize(fc3(h), F::NormalizeFuncOptions().dim(1));
}

torch::Tensor ProjectionHeadImpl::scores(const torch::Tensor &z) const
{
    // Scores feed the loss and Sinkhorn, which stay float32 even inside a bf16 autocast region.
    compat::AutocastGuard float32(z.device(), torch::kFloat32);
    return torch::matmul(z.to(torch::kFloat32), prototypes.to(z.device(), torch::kFloat32).t());
}

} // namespace upstep::core
