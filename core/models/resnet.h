#pragma once
// ResNet in torchvision's layout (identical names in timm): conv1/bn1 stem, max-pool, four
// stages of basic or bottleneck blocks (stride on the 3x3 conv), global average pool, fc head.
// Convolutions in the blocks are LoraConv2d so adapters can target the 3x3 convs.
// BatchNorm layers use their running statistics (eval mode) unless a caller trains them.

#include "models/backbone.h"
#include "models/loralayers.h"

namespace upstep::core {

class ResNetBlockImpl : public torch::nn::Module {
public:
    /// planes: the block's inner width before any width_per_group scaling.
    ResNetBlockImpl(bool bottleneck, int inPlanes, int planes, int stride, int widthPerGroup);
    torch::Tensor forward(const torch::Tensor &x);
    static int expansion(bool bottleneck) { return bottleneck ? 4 : 1; }

    LoraConv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
    torch::nn::Sequential downsample{nullptr};

private:
    bool m_bottleneck;
};
TORCH_MODULE(ResNetBlock);

class ResNetImpl : public BackboneImpl {
public:
    explicit ResNetImpl(ArchSpec spec);
    torch::Tensor features(const torch::Tensor &x) override;
    torch::Tensor headForward(const torch::Tensor &features) override;

    torch::nn::Conv2d conv1{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr};
    torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
    torch::nn::Linear fc{nullptr};
};

} // namespace upstep::core
