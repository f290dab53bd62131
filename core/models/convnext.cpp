#include "models/convnext.h"

#include "upstep/common/error.h"

namespace upstep::core {

namespace F = torch::nn::functional;

namespace {

constexpr double kEps = 1e-6; // timm's LayerNorm and LayerNorm2d

torch::nn::LayerNorm layerNorm(int dim) { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(kEps)); }

// timm's init: truncated normal (std 0.02) weights, zero biases.
template <typename Layer>
void truncNormal(Layer &layer)
{
    torch::NoGradGuard noGrad;
    layer.weight.normal_(0.0, 0.02).clamp_(-0.04, 0.04);
    if (layer.bias.defined())
        layer.bias.zero_();
}

} // namespace

LayerNorm2dImpl::LayerNorm2dImpl(int channels)
{
    weight = register_parameter("weight", torch::ones({channels}));
    bias = register_parameter("bias", torch::zeros({channels}));
}

// Under bf16 autocast a convolution's output is bf16 while the norms' parameters stay float32,
// and LibTorch's CPU layer_norm needs one type: the norms take their input in their own type.
// (A ViT never meets this: its residual stream is float32 by the position embedding.)
torch::Tensor LayerNorm2dImpl::forward(const torch::Tensor &x)
{
    const auto last = x.permute({0, 2, 3, 1}).to(weight.scalar_type());
    return torch::layer_norm(last, {weight.size(0)}, weight, bias, kEps).permute({0, 3, 1, 2});
}

ConvNextMlpImpl::ConvNextMlpImpl(int dim, int hidden)
{
    fc1 = register_module("fc1", LoraLinear(dim, hidden));
    fc2 = register_module("fc2", LoraLinear(hidden, dim));
    truncNormal(*fc1);
    truncNormal(*fc2);
}

torch::Tensor ConvNextMlpImpl::forward(const torch::Tensor &x) { return fc2(F::gelu(fc1(x))); }

ConvNextBlockImpl::ConvNextBlockImpl(int dim)
{
    conv_dw = register_module("conv_dw", torch::nn::Conv2d(
                                             torch::nn::Conv2dOptions(dim, dim, 7).padding(3).groups(dim).bias(true)));
    norm = register_module("norm", layerNorm(dim));
    mlp = register_module("mlp", ConvNextMlp(dim, 4 * dim));
    gamma = register_parameter("gamma", torch::full({dim}, 1e-6)); // timm's ls_init_value
}

torch::Tensor ConvNextBlockImpl::forward(const torch::Tensor &x)
{
    // The norm and MLP run channels-last, as timm does without conv_mlp.
    auto y = conv_dw(x).permute({0, 2, 3, 1}).to(norm->weight.scalar_type()); // see LayerNorm2d
    y = mlp(norm(y)).permute({0, 3, 1, 2});
    return x + y * gamma.reshape({1, -1, 1, 1});
}

ConvNextStageImpl::ConvNextStageImpl(int inDim, int dim, int depth, bool withDownsample)
{
    if (withDownsample) {
        auto conv = LoraConv2d(inDim, dim, 2, 2, 0, true);
        truncNormal(*conv);
        downsample = register_module("downsample", torch::nn::Sequential(LayerNorm2d(inDim), conv));
    }
    blocks = register_module("blocks", torch::nn::Sequential());
    for (int b = 0; b < depth; ++b)
        blocks->push_back(ConvNextBlock(dim));
}

torch::Tensor ConvNextStageImpl::forward(torch::Tensor x)
{
    if (downsample)
        x = downsample->forward(x);
    return blocks->forward(x);
}

ConvNextHeadImpl::ConvNextHeadImpl(int dim, int numClasses)
{
    norm = register_module("norm", layerNorm(dim));
    if (numClasses > 0) {
        fc = register_module("fc", torch::nn::Linear(dim, numClasses));
        torch::NoGradGuard noGrad;
        fc->weight.normal_(0.0, 0.02).clamp_(-0.04, 0.04);
        fc->bias.zero_();
    }
}

ConvNextImpl::ConvNextImpl(ArchSpec spec) : BackboneImpl(std::move(spec))
{
    const auto &c = m_spec.convnext;
    auto stemConv = LoraConv2d(m_spec.inChans, c.dims[0], 4, 4, 0, true);
    truncNormal(*stemConv);
    stem = register_module("stem", torch::nn::Sequential(stemConv, LayerNorm2d(c.dims[0])));
    stages = register_module("stages", torch::nn::Sequential());
    int inDim = c.dims[0];
    for (std::size_t s = 0; s < 4; ++s) {
        stages->push_back(ConvNextStage(inDim, c.dims[s], c.depths[s], s > 0));
        inDim = c.dims[s];
    }
    head = register_module("head", ConvNextHead(c.dims[3], m_spec.numClasses));
}

torch::Tensor ConvNextImpl::features(const torch::Tensor &x)
{
    if (x.dim() != 4 || x.size(1) != m_spec.inChans || x.size(2) < 32 || x.size(3) < 32)
        throw InputError("ConvNeXt expects input [B, " + std::to_string(m_spec.inChans) +
                         ", H, W] with H and W at least 32, got " + c10::str(x.sizes()));
    const auto y = stages->forward(stem->forward(x));
    return head->norm(y.mean({2, 3}).to(head->norm->weight.scalar_type()));
}

torch::Tensor ConvNextImpl::headForward(const torch::Tensor &features)
{
    requireHead();
    return head->fc(features);
}

} // namespace upstep::core
