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
    if (layer.bias.defined())
        layer.bias.zero_();
}

torch::nn::LayerNorm layerNorm(int dim, double eps)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(eps));
}

} // namespace

PatchEmbedImpl::PatchEmbedImpl(int inChans, int dim, int patch, bool bias)
{
    proj = register_module("proj",
                           torch::nn::Conv2d(torch::nn::Conv2dOptions(inChans, dim, patch).stride(patch).bias(bias)));
}

torch::Tensor PatchEmbedImpl::forward(const torch::Tensor &x)
{
    return proj(x).flatten(2).transpose(1, 2); // [B, N, D]
}

AttentionImpl::AttentionImpl(int dim, int heads, bool qkvBias) : m_heads(heads), m_scale(std::pow(dim / heads, -0.5))
{
    qkv = register_module("qkv", LoraLinear(dim, dim * 3, qkvBias));
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

MlpImpl::MlpImpl(int dim, int hidden, VitActivation activation, bool swiglu)
    : m_activation(activation), m_swiglu(swiglu)
{
    fc1 = register_module("fc1", LoraLinear(dim, hidden));
    fc2 = register_module("fc2", LoraLinear(swiglu ? hidden / 2 : hidden, dim));
    initLinear(*fc1);
    initLinear(*fc2);
}

torch::Tensor MlpImpl::forward(const torch::Tensor &x)
{
    auto hidden = fc1(x);
    if (m_swiglu) { // timm's SwiGLUPacked (gate first): silu(value) * gate
        const auto halves = hidden.chunk(2, -1);
        return fc2(F::silu(halves[0]) * halves[1]);
    }
    // Exact (erf) GELU, or CLIP's QuickGELU x * sigmoid(1.702 x), which OpenAI's weights need.
    hidden = m_activation == VitActivation::QuickGelu ? hidden * torch::sigmoid(1.702 * hidden) : F::gelu(hidden);
    return fc2(hidden);
}

AttentionPoolImpl::AttentionPoolImpl(const VitShape &v) : m_heads(v.heads)
{
    latent = register_parameter("latent", torch::zeros({1, 1, v.dim}));
    q = register_module("q", torch::nn::Linear(torch::nn::LinearOptions(v.dim, v.dim).bias(v.qkvBias)));
    kv = register_module("kv", torch::nn::Linear(torch::nn::LinearOptions(v.dim, 2 * v.dim).bias(v.qkvBias)));
    proj = register_module("proj", torch::nn::Linear(v.dim, v.dim));
    norm = register_module("norm", layerNorm(v.dim, v.eps));
    mlp = register_module("mlp", Mlp(v.dim, v.mlpDim, v.activation, v.swiglu));
    torch::NoGradGuard noGrad;
    latent.normal_(0.0, std::pow(v.dim, -0.5));
}

torch::Tensor AttentionPoolImpl::forward(const torch::Tensor &tokens)
{
    const auto b = tokens.size(0), n = tokens.size(1), c = tokens.size(2);
    const auto headDim = c / m_heads;
    const auto query = q(latent.expand({b, -1, -1})).reshape({b, 1, m_heads, headDim}).transpose(1, 2);
    const auto keysValues = kv(tokens).reshape({b, n, 2, m_heads, headDim}).permute({2, 0, 3, 1, 4});
    auto out = compat::scaledDotProductAttention(query, keysValues[0], keysValues[1],
                                                 std::pow(static_cast<double>(headDim), -0.5));
    // The latent's type (float32): under bf16 autocast proj gives bf16, which layer_norm refuses
    // beside float32 parameters.
    out = proj(out.transpose(1, 2).reshape({b, 1, c})).to(latent.scalar_type());
    out = out + mlp(norm(out));
    return out.select(1, 0);
}

LayerScaleImpl::LayerScaleImpl(int dim, double init) { gamma = register_parameter("gamma", torch::full({dim}, init)); }

VitBlockImpl::VitBlockImpl(const VitShape &v)
{
    norm1 = register_module("norm1", layerNorm(v.dim, v.eps));
    attn = register_module("attn", Attention(v.dim, v.heads, v.qkvBias));
    if (v.layerScale)
        ls1 = register_module("ls1", LayerScale(v.dim, 1e-5)); // DINOv2's init value
    norm2 = register_module("norm2", layerNorm(v.dim, v.eps));
    mlp = register_module("mlp", Mlp(v.dim, v.mlpDim, v.activation, v.swiglu));
    if (v.layerScale)
        ls2 = register_module("ls2", LayerScale(v.dim, 1e-5));
}

torch::Tensor VitBlockImpl::forward(torch::Tensor x)
{
    auto branch = attn(norm1(x));
    x = x + (ls1 ? ls1(branch) : branch);
    branch = mlp(norm2(x));
    return x + (ls2 ? ls2(branch) : branch);
}

VisionTransformerImpl::VisionTransformerImpl(ArchSpec spec) : BackboneImpl(std::move(spec))
{
    const auto &v = m_spec.vit;
    const int grid = v.imgSize / v.patch;
    // timm drops the patch convolution's bias when a norm follows the embedding (CLIP's norm_pre).
    patch_embed = register_module("patch_embed", PatchEmbed(m_spec.inChans, v.dim, v.patch, !v.normPre));
    if (v.classToken)
        cls_token = register_parameter("cls_token", torch::zeros({1, 1, v.dim}));
    if (v.regTokens > 0)
        reg_token = register_parameter("reg_token", torch::zeros({1, v.regTokens, v.dim}));
    pos_embed = register_parameter("pos_embed", torch::zeros({1, v.posEmbedLength(grid), v.dim}));
    if (v.normPre)
        norm_pre = register_module("norm_pre", layerNorm(v.dim, v.eps));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int i = 0; i < v.depth; ++i)
        blocks->push_back(VitBlock(v));
    // timm: average pooling normalises the pooled vector (fc_norm) instead of the tokens (norm).
    if (v.pool == VitPool::Avg)
        fc_norm = register_module("fc_norm", layerNorm(v.dim, v.eps));
    else
        norm = register_module("norm", layerNorm(v.dim, v.eps));
    if (v.pool == VitPool::Map)
        attn_pool = register_module("attn_pool", AttentionPool(v));
    if (m_spec.numClasses > 0) {
        head = register_module("head", torch::nn::Linear(v.dim, m_spec.numClasses));
        torch::NoGradGuard noGrad;
        head->weight.normal_(0.0, 0.02).clamp_(-0.04, 0.04);
        head->bias.zero_();
    }
    truncNormal(pos_embed, 0.02);
    torch::NoGradGuard noGrad;
    if (cls_token.defined())
        cls_token.normal_(0.0, 1e-6);
    if (reg_token.defined())
        reg_token.normal_(0.0, 1e-6);
}

torch::Tensor VisionTransformerImpl::features(const torch::Tensor &x)
{
    const auto &v = m_spec.vit;
    if (x.dim() != 4 || x.size(1) != m_spec.inChans || x.size(2) != v.imgSize || x.size(3) != v.imgSize)
        throw InputError("ViT expects input [B, " + std::to_string(m_spec.inChans) + ", " +
                         std::to_string(v.imgSize) + ", " + std::to_string(v.imgSize) + "], got " +
                         c10::str(x.sizes()));
    auto tokens = patch_embed(x);
    const auto batch = tokens.size(0);
    std::vector<torch::Tensor> parts;
    if (cls_token.defined())
        parts.push_back(cls_token.expand({batch, -1, -1}));
    if (reg_token.defined())
        parts.push_back(reg_token.expand({batch, -1, -1}));
    if (v.noEmbedClass) { // DeiT-III, DINOv2 with registers: the prefix tokens get no position
        parts.push_back(tokens + pos_embed);
        tokens = torch::cat(parts, 1);
    } else {
        parts.push_back(tokens);
        tokens = torch::cat(parts, 1) + pos_embed;
    }
    if (norm_pre)
        tokens = norm_pre(tokens);
    for (const auto &block : *blocks)
        tokens = block->as<VitBlockImpl>()->forward(tokens);
    const auto patches = [&](const torch::Tensor &t) {
        return t.narrow(1, v.prefixTokens(), t.size(1) - v.prefixTokens());
    };
    if (v.pool == VitPool::Avg)
        return fc_norm(patches(tokens).mean(1));
    if (v.pool == VitPool::Map) // timm pools the normed patch tokens (prefix tokens excluded)
        return attn_pool(patches(norm(tokens)));
    return norm(tokens).select(1, 0);
}

torch::Tensor VisionTransformerImpl::headForward(const torch::Tensor &features)
{
    requireHead();
    return head(features);
}

torch::Tensor resamplePosEmbed(const torch::Tensor &posEmbed, int newGrid, int prefixTokens)
{
    const auto tokens = posEmbed.size(1) - prefixTokens;
    const auto oldGrid = static_cast<std::int64_t>(
        std::lround(std::sqrt(static_cast<double>(std::max<std::int64_t>(tokens, 0)))));
    if (tokens < 1 || oldGrid * oldGrid != tokens)
        throw InputError("pos_embed has " + std::to_string(tokens) + " patch positions, not a square grid");
    if (oldGrid == newGrid)
        return posEmbed;
    const auto dim = posEmbed.size(2);
    auto cls = posEmbed.narrow(1, 0, prefixTokens);
    auto grid = posEmbed.narrow(1, prefixTokens, tokens).reshape({1, oldGrid, oldGrid, dim}).permute({0, 3, 1, 2});
    const auto type = grid.scalar_type();
    grid = F::interpolate(grid.to(torch::kFloat32), F::InterpolateFuncOptions()
                                                        .size(std::vector<std::int64_t>{newGrid, newGrid})
                                                        .mode(torch::kBicubic)
                                                        .align_corners(false)
                                                        .antialias(true)) // as timm, enlarging too
               .to(type);
    grid = grid.permute({0, 2, 3, 1}).reshape({1, newGrid * newGrid, dim});
    return torch::cat({cls, grid}, 1);
}

} // namespace upstep::core
