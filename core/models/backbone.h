#pragma once
// Common interface of the vision backbones. Module and parameter names are those of the
// checkpoints they load (timm / torchvision), so loading weights is a name lookup.
//
// Threading: a module is used by one thread at a time (the worker that owns it).

#include "upstep/models/archspec.h"

#include <torch/torch.h>

namespace upstep::core {

class BackboneImpl : public torch::nn::Module {
public:
    explicit BackboneImpl(ArchSpec spec) : m_spec(std::move(spec)) {}

    /// Pooled features [B, featureDim]: the CLS token after the final norm for a ViT, global
    /// average pooling for a ResNet. Input [B, inChans, H, W], normalised as spec().preprocessing.
    virtual torch::Tensor features(const torch::Tensor &x) = 0;

    /// Classifier logits [B, numClasses]. Throws InputError when the weights have no head.
    torch::Tensor logits(const torch::Tensor &x) { return headForward(features(x)); }

    /// The classifier head applied to pooled features.
    virtual torch::Tensor headForward(const torch::Tensor &features) = 0;

    bool hasHead() const { return m_spec.numClasses > 0; }
    const ArchSpec &spec() const { return m_spec; }
    int featureDim() const { return m_spec.featureDim(); }

protected:
    void requireHead() const;

    ArchSpec m_spec;
};

using BackbonePtr = std::shared_ptr<BackboneImpl>;

} // namespace upstep::core
