#pragma once
// Vision Transformer in timm's layout (vision_transformer.py): patch conv, class token (and
// register tokens), learned position embedding, pre-norm blocks (fused q|k|v projection, optional
// LayerScale), final norm and class-token pooling, or average pooling through fc_norm. The
// variations (VitShape) cover DINOv2, DeiT-III, CLIP image towers and MAE/BEiT-style pooling.
// Every Linear in the blocks is a LoraLinear so adapters can target qkv, proj, fc1 or fc2 by name.

#include "models/backbone.h"
#include "models/loralayers.h"

namespace upstep::core {

class PatchEmbedImpl : public torch::nn::Module {
public:
    PatchEmbedImpl(int inChans, int dim, int patch, bool bias = true);
    torch::Tensor forward(const torch::Tensor &x);
    torch::nn::Conv2d proj{nullptr};
};
TORCH_MODULE(PatchEmbed);

class AttentionImpl : public torch::nn::Module {
public:
    AttentionImpl(int dim, int heads, bool qkvBias);
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
    /// swiglu: timm's SwiGLUPacked, fc1 gives [value | gate] halves of `hidden`, fc2 takes hidden / 2.
    MlpImpl(int dim, int hidden, VitActivation activation, bool swiglu = false);
    torch::Tensor forward(const torch::Tensor &x);
    LoraLinear fc1{nullptr};
    LoraLinear fc2{nullptr};

private:
    VitActivation m_activation;
    bool m_swiglu;
};
TORCH_MODULE(Mlp);

/// timm's AttentionPoolLatent with one latent query (SigLIP's "map" pooling): the query attends
/// over the tokens, then a residual MLP on its normed output.
class AttentionPoolImpl : public torch::nn::Module {
public:
    explicit AttentionPoolImpl(const VitShape &shape);
    torch::Tensor forward(const torch::Tensor &tokens); ///< [B, N, D] -> [B, D]
    torch::Tensor latent;
    torch::nn::Linear q{nullptr}, kv{nullptr}, proj{nullptr};
    torch::nn::LayerNorm norm{nullptr};
    Mlp mlp{nullptr};

private:
    int m_heads;
};
TORCH_MODULE(AttentionPool);

/// timm's LayerScale: a learned per-channel factor on a residual branch (tensor "gamma").
class LayerScaleImpl : public torch::nn::Module {
public:
    LayerScaleImpl(int dim, double init);
    torch::Tensor forward(const torch::Tensor &x) { return x * gamma; }
    torch::Tensor gamma;
};
TORCH_MODULE(LayerScale);

class VitBlockImpl : public torch::nn::Module {
public:
    explicit VitBlockImpl(const VitShape &shape);
    torch::Tensor forward(torch::Tensor x);
    torch::nn::LayerNorm norm1{nullptr};
    Attention attn{nullptr};
    LayerScale ls1{nullptr}; ///< null without LayerScale
    torch::nn::LayerNorm norm2{nullptr};
    Mlp mlp{nullptr};
    LayerScale ls2{nullptr};
};
TORCH_MODULE(VitBlock);

class VisionTransformerImpl : public BackboneImpl {
public:
    explicit VisionTransformerImpl(ArchSpec spec);
    torch::Tensor features(const torch::Tensor &x) override;
    torch::Tensor headForward(const torch::Tensor &features) override;

    torch::Tensor cls_token; ///< undefined without a class token (SigLIP)
    torch::Tensor reg_token; ///< undefined without register tokens
    torch::Tensor pos_embed;
    PatchEmbed patch_embed{nullptr};
    torch::nn::LayerNorm norm_pre{nullptr}; ///< null unless VitShape::normPre
    torch::nn::ModuleList blocks{nullptr};
    torch::nn::LayerNorm norm{nullptr};    ///< null with average pooling
    torch::nn::LayerNorm fc_norm{nullptr}; ///< null unless average pooling
    AttentionPool attn_pool{nullptr};      ///< null unless attention pooling
    torch::nn::Linear head{nullptr};
};

/// Resizes a [1, prefix + g*g, D] position embedding to a new grid by bicubic interpolation of
/// the patch part (the first prefixTokens entries, class and register tokens', are kept),
/// antialiased in both directions, as timm's resample_abs_pos_embed does.
torch::Tensor resamplePosEmbed(const torch::Tensor &posEmbed, int newGrid, int prefixTokens = 1);

} // namespace upstep::core
