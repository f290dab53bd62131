#include "train/adaptationstep.h"

#include "common/torchcompat.h"
#include "method/clustering.h"

#include <limits>

namespace upstep::core {

namespace {

GateConfig gateConfig(const TrainConfig &config)
{
    GateConfig gate;
    gate.policy = config.gate;
    gate.quantile = config.gateQuantile;
    return gate;
}

} // namespace

AdaptationStep::AdaptationStep(BackbonePtr backbone, const TrainConfig &config, const torch::Tensor &mu0,
                               torch::Device device, torch::ScalarType dtype)
    : m_backbone(std::move(backbone)), m_config(config), m_device(device), m_dtype(dtype), m_gate(gateConfig(config))
{
    ProjectionHeadConfig headConfig;
    headConfig.prototypes = m_config.prototypes;
    headConfig.prototypeSeed = m_config.seed;
    ProjectionHead head(m_backbone->featureDim(), headConfig);
    m_backbone->to(m_device);
    head->to(m_device);
    m_backbone->eval(); // frozen base: batch norm keeps its running statistics
    m_streams = std::make_unique<TwoStreamModel>(m_backbone, head, m_config.offline);

    using torch::optim::AdamWOptions;
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(m_streams->loraParameters(),
                        std::make_unique<AdamWOptions>(AdamWOptions(m_config.learningRate).weight_decay(0)));
    groups.emplace_back(m_streams->headParameters(), std::make_unique<AdamWOptions>(
                                                         AdamWOptions(m_config.learningRate).weight_decay(m_config.weightDecay)));
    m_optimizer = std::make_unique<torch::optim::AdamW>(std::move(groups));
    m_trainable = m_streams->loraParameters();
    std::int64_t headParameters = 0;
    for (const auto &p : m_streams->headParameters()) {
        m_trainable.push_back(p);
        headParameters += p.numel();
    }
    const auto backboneCounts = countParameters(*m_backbone);
    m_adapterParameters = backboneCounts.trainable;
    m_counts.trainable = backboneCounts.trainable + headParameters;
    m_counts.total = backboneCounts.total + headParameters;
    m_center = std::make_unique<CenterVector>(mu0.to(m_device), CenterVectorConfig{m_config.cvrMomentum, m_config.cvrBeta});
}

torch::Tensor AdaptationStep::features(const torch::Tensor &x)
{
    compat::AutocastGuard autocast(m_device, m_dtype);
    return m_backbone->features(x.to(m_device)).to(torch::kFloat32);
}

StepLosses AdaptationStep::losses(const std::vector<torch::Tensor> &views, const std::vector<torch::Tensor> &crops,
                                  torch::Tensor *globalFeaturesOut)
{
    const SinkhornOptions sinkhorn{m_config.sinkhornEpsilon, m_config.sinkhornIterations};
    // Offline targets first: the EMA exchange writes the parameters in place, which would
    // invalidate an online graph built before it.
    std::vector<torch::Tensor> targets;
    if (m_streams->mode() == OfflineStream::Ema) {
        compat::AutocastGuard autocast(m_device, m_dtype);
        targets = m_streams->targets(views, sinkhorn);
    }
    torch::Tensor globalFeatures, scores;
    std::vector<torch::Tensor> cropScores;
    {
        compat::AutocastGuard autocast(m_device, m_dtype);
        globalFeatures = m_backbone->features(torch::cat(views)).to(torch::kFloat32);
        scores = m_streams->scores(globalFeatures); // float32: the loss stays in full precision
        for (const auto &crop : crops)
            cropScores.push_back(m_streams->scores(m_backbone->features(crop).to(torch::kFloat32)));
    }
    const auto viewScores = scores.chunk(2);
    if (m_streams->mode() == OfflineStream::Shared)
        targets = m_streams->targets(views, sinkhorn, {viewScores[0], viewScores[1]});
    StepLosses out;
    out.entropy = clusterUsageEntropy(targets[0]);
    out.cluster = swappedPredictionLoss(viewScores[0], viewScores[1], targets[0], targets[1], m_config.temperature,
                                        cropScores);
    if (m_config.cvrLambda <= 0)
        out.cvr = torch::zeros({}, out.cluster.options());
    else if (m_config.cvrTerm == CvrTerm::Magnitude)
        out.cvr = m_center->magnitudeLoss(globalFeatures, m_config.cvrLambda);
    else
        out.cvr = m_center->anchorLoss(globalFeatures, m_config.cvrLambda);
    out.total = out.cluster + out.cvr;
    if (globalFeaturesOut)
        *globalFeaturesOut = globalFeatures.detach();
    else
        m_center->update(globalFeatures.detach());
    return out;
}

StepLosses AdaptationStep::kept(std::int64_t step, std::int64_t totalSteps, const std::vector<torch::Tensor> &views,
                                const std::vector<torch::Tensor> &crops, double learningRate, bool injectNan)
{
    for (auto &group : m_optimizer->param_groups())
        static_cast<torch::optim::AdamWOptions &>(group.options()).lr(learningRate);
    auto out = losses(views, crops, nullptr);
    if (injectNan)
        out.total = out.total * std::numeric_limits<double>::quiet_NaN();
    m_optimizer->zero_grad();
    out.total.backward();
    if (m_config.gradClip > 0)
        torch::nn::utils::clip_grad_norm_(m_trainable, m_config.gradClip);
    m_optimizer->step();
    m_streams->updateOffline(EmaWeights::cosineMomentum(step, totalSteps, m_config.emaMomentum));
    return out;
}

void AdaptationStep::skipped(const std::vector<torch::Tensor> &views)
{
    torch::NoGradGuard noGrad;
    m_center->update(features(torch::cat(views)));
}

double AdaptationStep::probeLoss(const std::vector<torch::Tensor> &views, const std::vector<torch::Tensor> &crops,
                                 torch::Tensor *features)
{
    torch::NoGradGuard noGrad;
    return losses(views, crops, features).total.item<double>();
}

} // namespace upstep::core
