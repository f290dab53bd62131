#include "method/centervector.h"

#include "upstep/common/error.h"

namespace upstep::core {

CenterVector::CenterVector(torch::Tensor mu0, CenterVectorConfig config)
    : m_mu0(mu0.detach().to(torch::kFloat32).clone()), m_mu(m_mu0.clone()), m_config(config)
{
    if (m_mu0.dim() != 1)
        throw InputError("the base center mu0 must be a vector");
    if (!(config.momentum >= 0 && config.momentum < 1) || !(config.beta >= 0 && config.beta < 1))
        throw InputError("center vector momentum and beta must lie in [0, 1)");
}

torch::Tensor CenterVector::batchCenter(const torch::Tensor &features)
{
    const auto f = features.to(torch::kFloat32);
    return torch::nn::functional::normalize(f, torch::nn::functional::NormalizeFuncOptions().dim(1)).mean(0);
}

torch::Tensor CenterVector::smoothedCenter(const torch::Tensor &features) const
{
    return m_mu * m_config.beta + batchCenter(features) * (1.0 - m_config.beta);
}

torch::Tensor CenterVector::anchorLoss(const torch::Tensor &features, double lambda) const
{
    return (smoothedCenter(features) - m_mu0).pow(2).sum() * lambda;
}

torch::Tensor CenterVector::magnitudeLoss(const torch::Tensor &features, double lambda) const
{
    return smoothedCenter(features).pow(2).sum() * lambda;
}

void CenterVector::update(const torch::Tensor &features)
{
    torch::NoGradGuard noGrad;
    m_mu = m_mu * m_config.momentum + batchCenter(features.detach()) * (1.0 - m_config.momentum);
}

double CenterVector::norm() const { return m_mu.norm().item<double>(); }

double CenterVector::drift() const
{
    torch::NoGradGuard noGrad;
    return 1.0 - torch::cosine_similarity(m_mu, m_mu0, 0).item<double>();
}

void CenterVector::setMu(torch::Tensor mu)
{
    if (mu.sizes() != m_mu0.sizes())
        throw InputError("restored center vector has the wrong size");
    m_mu = mu.detach().to(m_mu0.device(), torch::kFloat32).clone();
}

void CenterVector::restore(torch::Tensor mu0, torch::Tensor mu)
{
    if (mu0.sizes() != m_mu0.sizes())
        throw InputError("restored base center has the wrong size");
    m_mu0 = mu0.detach().to(m_mu0.device(), torch::kFloat32).clone();
    setMu(std::move(mu));
}

} // namespace upstep::core
