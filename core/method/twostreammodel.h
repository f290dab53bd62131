#pragma once
// The online and offline streams of docs/METHOD.md §3 around one shared, frozen backbone.
//   online   backbone + trainable LoRA + projection head; gradients flow here.
//   offline  "ema": the same modules with an EMA of the LoRA and head weights swapped in for a
//            no-grad pass (EmaWeights::exchange), so the base weights exist once.
//            "shared": the online scores, detached (SwAV); no extra forward.
// Targets are computed before the online forward of an iteration: swapping weights in place
// after the online graph was built would invalidate it.
//
// Threading: owned by the training thread.

#include "upstep/common/choices.h"
#include "method/emaweights.h"
#include "method/projectionhead.h"
#include "models/backbone.h"

#include <optional>

namespace upstep::core {


struct SinkhornOptions {
    double epsilon = 0.05;
    int iterations = 3;
};

class TwoStreamModel {
public:
    TwoStreamModel(BackbonePtr backbone, ProjectionHead head, OfflineStream mode);

    BackboneImpl &backbone() { return *m_backbone; }
    ProjectionHeadImpl &head() { return *m_head; }
    OfflineStream mode() const { return m_mode; }

    /// LoRA parameters of the backbone, then the head's: what trains, in a fixed order.
    const std::vector<torch::Tensor> &loraParameters() const { return m_lora; }
    std::vector<torch::Tensor> headParameters() const;

    /// Online prototype scores [B, K] (float32) for a batch of pooled features.
    torch::Tensor scores(const torch::Tensor &features);

    /// Sinkhorn targets for each global view (each [B, C, H, W]), one [B, K] per view, without
    /// gradient. With Ema, from the offline weights; with Shared, from onlineScores (detached),
    /// which must then be given, one per view.
    std::vector<torch::Tensor> targets(const std::vector<torch::Tensor> &views, const SinkhornOptions &options,
                                       const std::vector<torch::Tensor> &onlineScores = {});

    /// After an optimiser step: offline <- momentum offline + (1 - momentum) online.
    void updateOffline(double momentum);

    /// The EMA weights (empty for Shared), for checkpoints.
    std::vector<torch::Tensor> offlineWeights() const;
    void restoreOffline(const std::vector<torch::Tensor> &weights);

private:
    BackbonePtr m_backbone;
    ProjectionHead m_head;
    OfflineStream m_mode;
    std::vector<torch::Tensor> m_lora;
    std::optional<EmaWeights> m_ema;
};

} // namespace upstep::core
