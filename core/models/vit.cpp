#include "models/vit.h"

#include "upstep/common/error.h"
#include "common/torchcompat.h"

#include <cmath>

namespace upstep::core {

namespace F = torch::nn::functional;

namespace {

// timm's init: truncated normal (std 0.02) for linear weights, zero biases.
void truncNormal(torch::Tensor &t, double std)
{
    torch::NoGradGuard noGrad;
    t.normal_(0.0, std).clamp_(-2.0 * std, 2.0 * std);
}

void initLinear(LoraLinearImpl &layer)
{
    truncNormal(layer.weight, 0.02);
    torch::NoGradGuard noGrad;
    layer.bias.zero_();
}

torch::nn::LayerNorm layerNorm(int dim)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-6));
}

} // namespace

PatchEmbedImpl::PatchEmbedImpl(int inChans, int dim, int patch)
{
    proj = register_module("proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(inChans, dim, patch).stride(patch)));
}

torch::Tensor PatchEmbedImpl::forward(const torch::Tensor &x)
{
    return proj(x).flatten(2).transpose(1, 2); // [B, N, D]
}

AttentionImpl::AttentionImpl(int dim, int heads) : m_heads(heads), m_scale(std::pow(dim / heads, -0.5))
{
    qkv = register_module("qkv", LoraLinear(dim, dim * 3));
    proj = register_module("proj", LoraLinear(dim, dim));
    initLinear(*qkv);
    initLinear(*proj);
}

torch::Tensor AttentionImpl::forward(const torch::Tensor &x)
{
    const auto b = x.size(0), n = x.size(1), c = x.size(2);
    // Rows of qkv are ordered q | k | v, each split into heads.
    auto parts = qkv(x).reshape({b, n, 3, m_heads, c / m_heads}).permute({2, 0, 3, 1, 4});
    auto out = compat::scaledDotProductAttention(parts[0], parts[1], parts[2], m_scale);
    return proj(out.transpose(1, 2).reshape({b, n, c}));
}

MlpImpl::MlpImpl(int dim, int hidden)
{
    fc1 = register_module("fc1", LoraLinear(dim, hidden));
    fc2 = register_module("fc2", LoraLinear(hidden, dim));
    initLinear(*fc1);
    initLinear(*fc2);
}

torch::Tensor MlpImpl::forward(const torch::Tensor &x)
{
    return fc2(F::gelu(fc1(x))); // exact (erf) GELU
}

VitBlockImpl::VitBlockImpl(int dim, int heads, int mlpDim)
{
    norm1 = register_module("norm1", layerNorm(dim));
    attn = register_module("attn", Attention(dim, heads));
    norm2 = register_module("norm2", layerNorm(dim));
    mlp = register_module("mlp", Mlp(dim, mlpDim));
}

torch::Tensor VitBlockImpl::forward(torch::Tensor x)
{
    x = x + attn(norm1(x));
    return x + mlp(norm2(x));
}

VisionTransformerImpl::VisionTransformerImpl(ArchSpec spec) : BackboneImpl(std::move(spec))
{
    const auto &v = m_spec.vit;
    const int grid = v.imgSize / v.patch;
    patch_embed = register_module("patch_embed", PatchEmbed(m_spec.inChans, v.dim, v.patch));
    cls_token = register_parameter("cls_token", torch::zeros({1, 1, v.dim}));
    pos_embed = register_parameter("pos_embed", torch::zeros({1, 1 + grid * grid, v.dim}));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int i = 0; i < v.depth; ++i)
        blocks->push_back(VitBlock(v.dim, v.heads, v.mlpDim));
    norm = register_module("norm", layerNorm(v.dim));
    if (m_spec.numClasses > 0) {
        head = register_module("head", torch::nn::Linear(v.dim, m_spec.numClasses));
        torch::NoGradGuard noGrad;
        head->weight.normal_(0.0, 0.02).clamp_(-0.04, 0.04);
        head->bias.zero_();
    }
    truncNormal(pos_embed, 0.02);
    torch::NoGradGuard noGrad;
    cls_token.normal_(0.0, 1e-6);
}

torch::Tensor VisionTransformerImpl::features(const torch::Tensor &x)
{
    const auto &v = m_spec.vit;
    if (x.dim() != 4 || x.size(1) != m_spec.inChans || x.size(2) != v.imgSize || x.size(3) != v.imgSize)
        throw InputError("ViT expects input [B, " + std::to_string(m_spec.inChans) + ", " +
                         std::to_string(v.imgSize) + ", " + std::to_string(v.imgSize) + "], got " +
                         c10::str(x.sizes()));
    auto tokens = patch_embed(x);
    tokens = torch::cat({cls_token.expand({tokens.size(0), -1, -1}), tokens}, 1) + pos_embed;
    for (const auto &block : *blocks)
        tokens = block->as<VitBlockImpl>()->forward(tokens);
    return norm(tokens).select(1, 0);
}

torch::Tensor VisionTransformerImpl::headForward(const torch::Tensor &features)
{
    requireHead();
    return head(features);
}

torch::Tensor resamplePosEmbed(const torch::Tensor &posEmbed, int newGrid)
{
    const auto tokens = posEmbed.size(1) - 1;
    const auto oldGrid = static_cast<std::int64_t>(std::lround(std::sqrt(static_cast<double>(tokens))));
    if (oldGrid * oldGrid != tokens)
        throw InputError("pos_embed has " + std::to_string(tokens) + " patch positions, not a square grid");
    if (oldGrid == newGrid)
        return posEmbed;
    const auto dim = posEmbed.size(2);
    auto cls = posEmbed.narrow(1, 0, 1);
    auto grid = posEmbed.narrow(1, 1, tokens).reshape({1, oldGrid, oldGrid, dim}).permute({0, 3, 1, 2});
    const auto type = grid.scalar_type();
    grid = F::interpolate(grid.to(torch::kFloat32), F::InterpolateFuncOptions()
                                                        .size(std::vector<std::int64_t>{newGrid, newGrid})
                                                        .mode(torch::kBicubic)
                                                        .align_corners(false)
                                                        .antialias(newGrid < oldGrid))
               .to(type);
    grid = grid.permute({0, 2, 3, 1}).reshape({1, newGrid * newGrid, dim});
    return torch::cat({cls, grid}, 1);
}

} // namespace upstep::core
