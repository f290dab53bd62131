#include "method/emaweights.h"

#include "upstep/common/error.h"

#include <cmath>

namespace upstep::core {

EmaWeights::EmaWeights(std::vector<torch::Tensor> parameters) : m_parameters(std::move(parameters))
{
    torch::NoGradGuard noGrad;
    for (const auto &p : m_parameters)
        m_averages.push_back(p.detach().clone());
}

void EmaWeights::update(double momentum)
{
    torch::NoGradGuard noGrad;
    for (std::size_t i = 0; i < m_parameters.size(); ++i)
        m_averages[i].mul_(momentum).add_(m_parameters[i].detach(), 1.0 - momentum);
}

void EmaWeights::exchange()
{
    torch::NoGradGuard noGrad;
    for (std::size_t i = 0; i < m_parameters.size(); ++i) {
        auto online = m_parameters[i].detach().clone();
        m_parameters[i].copy_(m_averages[i]);
        m_averages[i].copy_(online);
    }
}

double EmaWeights::cosineMomentum(std::int64_t step, std::int64_t totalSteps, double base)
{
    if (totalSteps <= 1)
        return 1.0;
    const double progress = std::min(1.0, static_cast<double>(step) / static_cast<double>(totalSteps - 1));
    return 1.0 - (1.0 - base) * (std::cos(M_PI * progress) + 1.0) / 2.0;
}

void EmaWeights::restore(const std::vector<torch::Tensor> &averages)
{
    if (averages.size() != m_averages.size())
        throw InputError("EMA state holds " + std::to_string(averages.size()) + " tensors, expected " +
                         std::to_string(m_averages.size()));
    torch::NoGradGuard noGrad;
    for (std::size_t i = 0; i < averages.size(); ++i) {
        if (averages[i].sizes() != m_averages[i].sizes())
            throw InputError("EMA state tensor " + std::to_string(i) + " has the wrong shape");
        m_averages[i].copy_(averages[i]);
    }
}

} // namespace upstep::core
