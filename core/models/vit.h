#pragma once
// Vision Transformer in timm's layout (vision_transformer.py): patch conv, CLS token, learned
// position embedding, pre-norm blocks (LayerNorm eps 1e-6, exact GELU, fused q|k|v projection),
// final norm, CLS pooling. Every Linear in the blocks is a LoraLinear so adapters can target
// qkv, proj, fc1 or fc2 by name.

#include "models/backbone.h"
#include "models/loralayers.h"

namespace upstep::core {

class PatchEmbedImpl : public torch::nn::Module {
public:
    PatchEmbedImpl(int inChans, int dim, int patch);
    torch::Tensor forward(const torch::Tensor &x);
    torch::nn::Conv2d proj{nullptr};
};
TORCH_MODULE(PatchEmbed);

class AttentionImpl : public torch::nn::Module {
public:
    AttentionImpl(int dim, int heads);
    torch::Tensor forward(const torch::Tensor &x);
    LoraLinear qkv{nullptr};
    LoraLinear proj{nullptr};

private:
    int m_heads;
    double m_scale;
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
public:
    MlpImpl(int dim, int hidden);
    torch::Tensor forward(const torch::Tensor &x);
    LoraLinear fc1{nullptr};
    LoraLinear fc2{nullptr};
};
TORCH_MODULE(Mlp);

class VitBlockImpl : public torch::nn::Module {
public:
    VitBlockImpl(int dim, int heads, int mlpDim);
    torch::Tensor forward(torch::Tensor x);
    torch::nn::LayerNorm norm1{nullptr};
    Attention attn{nullptr};
    torch::nn::LayerNorm norm2{nullptr};
    Mlp mlp{nullptr};
};
TORCH_MODULE(VitBlock);

class VisionTransformerImpl : public BackboneImpl {
public:
    explicit VisionTransformerImpl(ArchSpec spec);
    torch::Tensor features(const torch::Tensor &x) override;
    torch::Tensor headForward(const torch::Tensor &features) override;

    torch::Tensor cls_token;
    torch::Tensor pos_embed;
    PatchEmbed patch_embed{nullptr};
    torch::nn::ModuleList blocks{nullptr};
    torch::nn::LayerNorm norm{nullptr};
    torch::nn::Linear head{nullptr};
};

/// Resizes a [1, 1 + g*g, D] position embedding to a new grid by bicubic interpolation of the
/// patch part (the class token's entry is kept), as timm's resample_abs_pos_embed does.
torch::Tensor resamplePosEmbed(const torch::Tensor &posEmbed, int newGrid);

} // namespace upstep::core
