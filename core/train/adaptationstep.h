#pragma once
// One UpStep iteration (docs/METHOD.md §4-§5) on a batch of views already on the device: the
// optimisation state (two streams, AdamW, center vector, gate) and the three things an
// iteration can be:
//   kept       targets from the offline stream, online forward, L_cluster + L_cvr, backward,
//              clipped AdamW step, EMA update, mu update;
//   skipped    a center-update iteration: online backbone forward under no-grad, mu update only;
//   gateKeeps  asks the gate; for loss-quantile it first computes the loss under no-grad, for
//              center the center-vector term, and a skipped iteration reuses that pass for its
//              mu update.
// CVR's center lives in the backbone's feature space or the head's output space (cvr_space); the
// feature-space center is kept either way, since the monitors (|mu|, drift) read it.
// The trainer drives it over a loader; the step benchmark drives it on random tensors, so both
// measure the same code.
//
// Threading: owned by one thread (the training thread).

#include "method/centervector.h"
#include "method/iterationgate.h"
#include "method/twostreammodel.h"
#include "models/lora.h"
#include "upstep/run/trainconfig.h"

#include <torch/torch.h>

#include <memory>

namespace upstep::core {

struct StepLosses {
    torch::Tensor total, cluster, cvr; ///< scalars, still on the device (reading them syncs)
    double entropy = 0;                ///< cluster-usage entropy of the first view's targets
};

class AdaptationStep {
public:
    /// Takes a backbone that already carries LoRA; builds the head, streams, optimiser and gate
    /// from config. baseFeatures [N, D] are the base model's features of the probe sample: their
    /// center is mu0, and through the untrained head, the head space's mu0.
    AdaptationStep(BackbonePtr backbone, const TrainConfig &config, const torch::Tensor &baseFeatures,
                   torch::Device device, torch::ScalarType dtype);

    /// prototype_init kmeans: the prototypes become the spherical k-means centroids of
    /// baseFeatures [N >= K, D] as the untrained head maps them (seeded by the run's seed).
    /// Call before the first iteration. Returns the Lloyd iterations k-means ran.
    int placePrototypes(const torch::Tensor &baseFeatures);

    /// Asks the gate whether iteration `step` back-propagates. When it says no, the iteration's
    /// center update is done here; when it says yes, call kept().
    bool gateKeeps(std::int64_t step, const std::vector<torch::Tensor> &views, const std::vector<torch::Tensor> &crops);
    /// The center gate's signal for a batch's global-view features: the change the batch makes to
    /// CVR's term (lambda 1, in CVR's space), |mu_tilde - r|^2 - |mu - r|^2 with
    /// mu_tilde = beta mu + (1 - beta) c, c the batch's center, r = mu0 for the anchor term and 0
    /// for the magnitude term. Positive: the batch pulls the center away. Without gradient.
    double centerSignal(const torch::Tensor &features);

    StepLosses kept(std::int64_t step, std::int64_t totalSteps, const std::vector<torch::Tensor> &views,
                    const std::vector<torch::Tensor> &crops, double learningRate, bool injectNan = false);
    void skipped(const std::vector<torch::Tensor> &views);

    /// Pooled float32 features under this run's precision (autocast), on the device.
    torch::Tensor features(const torch::Tensor &x);

    BackboneImpl &backbone() { return *m_backbone; }
    TwoStreamModel &streams() { return *m_streams; }
    torch::optim::AdamW &optimizer() { return *m_optimizer; }
    CenterVector &center() { return *m_center; }
    /// The head space's center when cvr_space is head, else null.
    CenterVector *headCenter() { return m_headCenter.get(); }
    IterationGate &gate() { return m_gate; }
    const std::vector<torch::Tensor> &trainable() const { return m_trainable; }
    /// Adapters + head, of backbone + head; and the adapters alone.
    ParameterCounts counts() const { return m_counts; }
    std::int64_t adapterParameters() const { return m_adapterParameters; }

private:
    StepLosses losses(const std::vector<torch::Tensor> &views, const std::vector<torch::Tensor> &crops,
                      torch::Tensor *globalFeatures);
    /// No-grad loss for the loss-quantile gate; mu is left as it was. The global views' features
    /// come back in *features, so that a skipped iteration can update mu without a second pass.
    double probeLoss(const std::vector<torch::Tensor> &views, const std::vector<torch::Tensor> &crops,
                     torch::Tensor *features);
    /// The head's output for features, without gradient.
    torch::Tensor headOutputs(const torch::Tensor &features);
    /// mu update of every center from global-view features (detached).
    void updateCenters(const torch::Tensor &features);
    /// CVR's term on points of its space (features, or head outputs), weighted by lambda.
    torch::Tensor centerTerm(const torch::Tensor &points, double lambda) const;

    BackbonePtr m_backbone;
    TrainConfig m_config;
    torch::Device m_device;
    torch::ScalarType m_dtype;
    std::unique_ptr<TwoStreamModel> m_streams;
    std::unique_ptr<torch::optim::AdamW> m_optimizer;
    std::unique_ptr<CenterVector> m_center;
    std::unique_ptr<CenterVector> m_headCenter; ///< cvr_space head only
    IterationGate m_gate;
    std::vector<torch::Tensor> m_trainable;
    ParameterCounts m_counts;
    std::int64_t m_adapterParameters = 0;
};

} // namespace upstep::core
