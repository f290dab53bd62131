#pragma once
// ConvNeXt (v1) in timm's layout (convnext.py), names as its checkpoints hold them:
//   stem.0 (4x4 stride-4 conv), stem.1 (LayerNorm over channels)
//   stages.S.downsample.0 / .1 (LayerNorm, 2x2 stride-2 conv; stages 1-3 only)
//   stages.S.blocks.B.{conv_dw, norm, mlp.fc1, mlp.fc2, gamma}
//   head.norm (LayerNorm of the pooled vector), head.fc (classifier, when present)
// The MLP's layers are LoraLinear (the default LoRA targets: they hold most of the weights) and
// the stem and downsample convolutions LoraConv2d; the depthwise 7x7 convolutions carry no
// adapter (PEFT has no low-rank form for a per-channel kernel).

#include "models/backbone.h"
#include "models/loralayers.h"

namespace upstep::core {

/// timm's LayerNorm2d: a LayerNorm over the channels of an NCHW tensor.
class LayerNorm2dImpl : public torch::nn::Module {
public:
    explicit LayerNorm2dImpl(int channels);
    torch::Tensor forward(const torch::Tensor &x);
    torch::Tensor weight, bias;
};
TORCH_MODULE(LayerNorm2d);

class ConvNextMlpImpl : public torch::nn::Module {
public:
    ConvNextMlpImpl(int dim, int hidden);
    torch::Tensor forward(const torch::Tensor &x); ///< channels-last input
    LoraLinear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(ConvNextMlp);

class ConvNextBlockImpl : public torch::nn::Module {
public:
    explicit ConvNextBlockImpl(int dim);
    torch::Tensor forward(const torch::Tensor &x);
    torch::nn::Conv2d conv_dw{nullptr};
    torch::nn::LayerNorm norm{nullptr};
    ConvNextMlp mlp{nullptr};
    torch::Tensor gamma; ///< LayerScale, per channel
};
TORCH_MODULE(ConvNextBlock);

class ConvNextStageImpl : public torch::nn::Module {
public:
    ConvNextStageImpl(int inDim, int dim, int depth, bool downsample);
    torch::Tensor forward(torch::Tensor x);
    torch::nn::Sequential downsample{nullptr}; ///< null for the first stage
    torch::nn::Sequential blocks{nullptr};
};
TORCH_MODULE(ConvNextStage);

class ConvNextHeadImpl : public torch::nn::Module {
public:
    ConvNextHeadImpl(int dim, int numClasses);
    torch::nn::LayerNorm norm{nullptr};
    torch::nn::Linear fc{nullptr}; ///< null without a classifier
};
TORCH_MODULE(ConvNextHead);

class ConvNextImpl : public BackboneImpl {
public:
    explicit ConvNextImpl(ArchSpec spec);
    /// Global average pool of the last stage, through head.norm (timm's pre-logits features).
    torch::Tensor features(const torch::Tensor &x) override;
    torch::Tensor headForward(const torch::Tensor &features) override;

    torch::nn::Sequential stem{nullptr};
    torch::nn::Sequential stages{nullptr};
    ConvNextHead head{nullptr};
};

} // namespace upstep::core
