#pragma once
// One UpStep iteration (docs/METHOD.md §4-§5) on a batch of views already on the device: the
// optimisation state (two streams, AdamW, center vector, gate) and the three things an
// iteration can be:
//   kept       targets from the offline stream, online forward, L_cluster + L_cvr, backward,
//              clipped AdamW step, EMA update, mu update;
//   skipped    a center-update iteration: online backbone forward under no-grad, mu update only;
//   probeLoss  the loss under no-grad, for the loss-quantile gate.
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
    /// from config. mu0 is the base center (CenterVector::batchCenter of base features).
    AdaptationStep(BackbonePtr backbone, const TrainConfig &config, const torch::Tensor &mu0,
                   torch::Device device, torch::ScalarType dtype);

    StepLosses kept(std::int64_t step, std::int64_t totalSteps, const std::vector<torch::Tensor> &views,
                    const std::vector<torch::Tensor> &crops, double learningRate, bool injectNan = false);
    void skipped(const std::vector<torch::Tensor> &views);
    /// No-grad loss for the loss-quantile gate; mu is left as it was. The global views' features
    /// come back in *features, so that a skipped iteration can update mu without a second pass.
    double probeLoss(const std::vector<torch::Tensor> &views, const std::vector<torch::Tensor> &crops,
                     torch::Tensor *features);

    /// Pooled float32 features under this run's precision (autocast), on the device.
    torch::Tensor features(const torch::Tensor &x);

    BackboneImpl &backbone() { return *m_backbone; }
    TwoStreamModel &streams() { return *m_streams; }
    torch::optim::AdamW &optimizer() { return *m_optimizer; }
    CenterVector &center() { return *m_center; }
    IterationGate &gate() { return m_gate; }
    const std::vector<torch::Tensor> &trainable() const { return m_trainable; }
    /// Adapters + head, of backbone + head; and the adapters alone.
    ParameterCounts counts() const { return m_counts; }
    std::int64_t adapterParameters() const { return m_adapterParameters; }

private:
    StepLosses losses(const std::vector<torch::Tensor> &views, const std::vector<torch::Tensor> &crops,
                      torch::Tensor *globalFeatures);

    BackbonePtr m_backbone;
    TrainConfig m_config;
    torch::Device m_device;
    torch::ScalarType m_dtype;
    std::unique_ptr<TwoStreamModel> m_streams;
    std::unique_ptr<torch::optim::AdamW> m_optimizer;
    std::unique_ptr<CenterVector> m_center;
    IterationGate m_gate;
    std::vector<torch::Tensor> m_trainable;
    ParameterCounts m_counts;
    std::int64_t m_adapterParameters = 0;
};

} // namespace upstep::core
