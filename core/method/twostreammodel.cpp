#include "method/twostreammodel.h"

#include "upstep/common/error.h"
#include "method/clustering.h"

namespace upstep::core {

TwoStreamModel::TwoStreamModel(BackbonePtr backbone, ProjectionHead head, OfflineStream mode)
    : m_backbone(std::move(backbone)), m_head(std::move(head)), m_mode(mode)
{
    for (const auto &p : m_backbone->parameters())
        if (p.requires_grad())
            m_lora.push_back(p);
    if (m_lora.empty())
        throw InputError("the backbone has no trainable adapter parameters");
    if (m_mode == OfflineStream::Ema) {
        auto tracked = m_lora;
        for (const auto &p : headParameters())
            tracked.push_back(p);
        m_ema.emplace(std::move(tracked));
    }
}

std::vector<torch::Tensor> TwoStreamModel::headParameters() const { return m_head->parameters(); }

torch::Tensor TwoStreamModel::scores(const torch::Tensor &features) { return m_head->scores(m_head->forward(features)); }

std::vector<torch::Tensor> TwoStreamModel::targets(const std::vector<torch::Tensor> &views,
                                                   const SinkhornOptions &options,
                                                   const std::vector<torch::Tensor> &onlineScores)
{
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> out;
    if (m_mode == OfflineStream::Shared) {
        if (onlineScores.size() != views.size())
            throw InputError("shared targets need the online scores of every view");
        for (const auto &s : onlineScores)
            out.push_back(sinkhornKnopp(s.detach(), options.epsilon, options.iterations));
        return out;
    }
    m_ema->exchange();
    try {
        const auto all = scores(m_backbone->features(torch::cat(views)));
        for (const auto &s : all.chunk(static_cast<std::int64_t>(views.size())))
            out.push_back(sinkhornKnopp(s, options.epsilon, options.iterations));
    } catch (...) {
        m_ema->exchange();
        throw;
    }
    m_ema->exchange();
    return out;
}

void TwoStreamModel::updateOffline(double momentum)
{
    if (m_ema)
        m_ema->update(momentum);
}

std::vector<torch::Tensor> TwoStreamModel::offlineWeights() const
{
    return m_ema ? m_ema->averages() : std::vector<torch::Tensor>{};
}

void TwoStreamModel::restoreOffline(const std::vector<torch::Tensor> &weights)
{
    if (m_ema)
        m_ema->restore(weights);
    else if (!weights.empty())
        throw InputError("checkpoint holds offline weights but this run shares the online weights");
}

} // namespace upstep::core
