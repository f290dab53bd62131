#include "train/adaptationstep.h"

#include "common/torchcompat.h"
#include "method/clustering.h"
#include "method/kmeans.h"

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

AdaptationStep::AdaptationStep(BackbonePtr backbone, const TrainConfig &config, const torch::Tensor &baseFeatures,
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
    const CenterVectorConfig centerConfig{m_config.cvrMomentum, m_config.cvrBeta};
    const auto base = baseFeatures.to(m_device, torch::kFloat32);
    m_center = std::make_unique<CenterVector>(CenterVector::batchCenter(base), centerConfig);
    if (m_config.cvrSpace == CvrSpace::Head)
        m_headCenter = std::make_unique<CenterVector>(CenterVector::batchCenter(headOutputs(base)), centerConfig);
}

torch::Tensor AdaptationStep::headOutputs(const torch::Tensor &features)
{
    torch::NoGradGuard noGrad;
    compat::AutocastGuard autocast(m_device, m_dtype); // as the kept iterations compute them
    return m_streams->head().forward(features.to(torch::kFloat32)).to(torch::kFloat32);
}

int AdaptationStep::placePrototypes(const torch::Tensor &baseFeatures)
{
    torch::NoGradGuard noGrad;
    const auto z = headOutputs(baseFeatures.to(m_device));
    const auto kmeans = sphericalKmeans(z, m_config.prototypes, m_config.seed);
    m_streams->head().prototypes.copy_(kmeans.centroids.to(m_device));
    return kmeans.iterations;
}

torch::Tensor AdaptationStep::centerTerm(const torch::Tensor &points, double lambda) const
{
    const auto &center = m_headCenter ? *m_headCenter : *m_center;
    return m_config.cvrTerm == CvrTerm::Magnitude ? center.magnitudeLoss(points, lambda)
                                                  : center.anchorLoss(points, lambda);
}

double AdaptationStep::centerSignal(const torch::Tensor &features)
{
    torch::NoGradGuard noGrad;
    const auto &center = m_headCenter ? *m_headCenter : *m_center;
    const auto batch = CenterVector::batchCenter(m_headCenter ? headOutputs(features) : features);
    // The change this batch makes to CVR's term: the term with the batch in mu_tilde, minus the
    // term of mu alone. Taking the difference removes the slow trend of mu (which drifts as the
    // model adapts and would otherwise keep every batch, or none, against the recent quantile).
    const auto reference = m_config.cvrTerm == CvrTerm::Magnitude ? torch::zeros_like(center.mu()) : center.mu0();
    const auto before = center.mu() - reference;
    const auto with = center.mu() * m_config.cvrBeta + batch * (1.0 - m_config.cvrBeta) - reference;
    return (with.pow(2).sum() - before.pow(2).sum()).item<double>();
}

void AdaptationStep::updateCenters(const torch::Tensor &features)
{
    torch::NoGradGuard noGrad;
    m_center->update(features);
    if (m_headCenter)
        m_headCenter->update(headOutputs(features));
}

bool AdaptationStep::gateKeeps(std::int64_t step, const std::vector<torch::Tensor> &views,
                               const std::vector<torch::Tensor> &crops)
{
    switch (m_gate.config().policy) {
    case GatePolicy::LossQuantile: {
        torch::Tensor globalFeatures;
        const bool keep = m_gate.keep(step, probeLoss(views, crops, &globalFeatures));
        if (!keep)
            updateCenters(globalFeatures); // the probe pass doubles as the center update
        return keep;
    }
    case GatePolicy::Center: {
        torch::Tensor globalFeatures;
        {
            torch::NoGradGuard noGrad;
            globalFeatures = features(torch::cat(views));
        }
        const bool keep = m_gate.keep(step, centerSignal(globalFeatures));
        if (!keep)
            updateCenters(globalFeatures);
        return keep;
    }
    case GatePolicy::Alternate:
    case GatePolicy::None: break;
    }
    const bool keep = m_gate.keep(step);
    if (!keep)
        skipped(views);
    return keep;
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
    torch::Tensor globalFeatures, z, scores;
    std::vector<torch::Tensor> cropScores;
    {
        compat::AutocastGuard autocast(m_device, m_dtype);
        globalFeatures = m_backbone->features(torch::cat(views)).to(torch::kFloat32);
        z = m_streams->head().forward(globalFeatures);
        scores = m_streams->head().scores(z); // float32: the loss stays in full precision
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
    out.cvr = m_config.cvrLambda > 0
                  ? centerTerm(m_headCenter ? z.to(torch::kFloat32) : globalFeatures, m_config.cvrLambda)
                  : torch::zeros({}, out.cluster.options());
    out.total = out.cluster + out.cvr;
    if (globalFeaturesOut) {
        *globalFeaturesOut = globalFeatures.detach();
    } else {
        torch::NoGradGuard noGrad;
        m_center->update(globalFeatures.detach());
        if (m_headCenter)
            m_headCenter->update(z.detach());
    }
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
    updateCenters(features(torch::cat(views)));
}

double AdaptationStep::probeLoss(const std::vector<torch::Tensor> &views, const std::vector<torch::Tensor> &crops,
                                 torch::Tensor *features)
{
    torch::NoGradGuard noGrad;
    return losses(views, crops, features).total.item<double>();
}

} // namespace upstep::core
