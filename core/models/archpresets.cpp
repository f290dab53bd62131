#include "models/archpresets.h"

namespace upstep::core {

namespace {

Preprocessing timmAugregPreprocessing(int size)
{
    Preprocessing p;
    p.inputSize = size;
    p.cropPct = 0.9;
    p.mean = {0.5, 0.5, 0.5};
    p.std = {0.5, 0.5, 0.5};
    p.interpolation = Interpolation::Bicubic;
    return p;
}

ArchSpec vitPreset(int dim, int heads, int depth, int patch, int size)
{
    ArchSpec s;
    s.family = ArchFamily::Vit;
    s.vit = {size, patch, depth, dim, heads, dim * 4};
    s.numClasses = 1000;
    s.preprocessing = timmAugregPreprocessing(size);
    return s;
}

Preprocessing imagenetBicubic(int size, double cropPct)
{
    Preprocessing p; // ImageNet mean and std
    p.inputSize = size;
    p.cropPct = cropPct;
    p.interpolation = Interpolation::Bicubic;
    return p;
}

// DINOv2 as timm builds it: patch 14, 518 px, LayerScale, ImageNet statistics, no crop.
ArchSpec dinov2Preset(int dim, int regTokens)
{
    ArchSpec s = vitPreset(dim, std::max(1, dim / 64), 12, 14, 518);
    s.numClasses = 0;
    s.vit.layerScale = true;
    s.vit.regTokens = regTokens;
    s.vit.noEmbedClass = regTokens > 0;
    s.preprocessing = imagenetBicubic(518, 1.0);
    return s;
}

// A CLIP image tower as timm builds it: norm_pre, torch's LayerNorm eps 1e-5, the projection to
// the joint embedding as the head; GELU, or QuickGELU for the "_quickgelu" names (OpenAI's weights).
ArchSpec clipPreset(int dim, int patch, int projection, VitActivation activation)
{
    ArchSpec s = vitPreset(dim, dim / 64, 12, patch, 224);
    s.numClasses = projection;
    s.vit.normPre = true;
    s.vit.activation = activation;
    s.vit.eps = 1e-5;
    s.preprocessing = imagenetBicubic(224, 0.9);
    s.preprocessing.mean = {0.48145466, 0.4578275, 0.40821073};
    s.preprocessing.std = {0.26862954, 0.26130258, 0.27577711};
    return s;
}

// SigLIP image towers as timm builds them: no class token, the attention pool (global_pool
// "map"), timm's default config (statistics 0.5, bicubic, crop 0.9).
ArchSpec siglipPreset(int dim, int heads, int depth, int mlpDim, int patch, int size)
{
    ArchSpec s = vitPreset(dim, heads, depth, patch, size);
    s.vit.mlpDim = mlpDim;
    s.numClasses = 0;
    s.vit.classToken = false;
    s.vit.pool = VitPool::Map;
    s.preprocessing = timmAugregPreprocessing(size);
    return s;
}

// ConvNeXt as timm builds it: ImageNet statistics, bicubic, crop 0.875.
ArchSpec convnextPreset(std::array<int, 4> depths, std::array<int, 4> dims)
{
    ArchSpec s;
    s.family = ArchFamily::ConvNext;
    s.convnext = {depths, dims};
    s.numClasses = 1000;
    s.preprocessing = imagenetBicubic(224, 0.875);
    return s;
}

ArchSpec resnetPreset(bool bottleneck, std::array<int, 4> layers)
{
    ArchSpec s;
    s.family = ArchFamily::ResNet;
    s.resnet = {bottleneck, layers, 64};
    s.numClasses = 1000;
    s.preprocessing = Preprocessing{}; // torchvision: ImageNet statistics, resize 256, crop 224
    return s;
}

} // namespace

const std::map<std::string, ArchSpec> &archPresets()
{
    static const std::map<std::string, ArchSpec> kPresets = [] {
        std::map<std::string, ArchSpec> m;
        m["vit_tiny_patch16_224"] = vitPreset(192, 3, 12, 16, 224);
        m["vit_small_patch16_224"] = vitPreset(384, 6, 12, 16, 224);
        m["vit_base_patch16_224"] = vitPreset(768, 12, 12, 16, 224);
        m["vit_small_patch14_dinov2"] = dinov2Preset(384, 0);
        m["vit_base_patch14_dinov2"] = dinov2Preset(768, 0);
        m["vit_large_patch14_dinov2"] = dinov2Preset(1024, 0);
        m["vit_large_patch14_dinov2"].vit.depth = 24;
        m["vit_small_patch14_reg4_dinov2"] = dinov2Preset(384, 4);
        m["vit_base_patch14_reg4_dinov2"] = dinov2Preset(768, 4);
        m["vit_base_patch16_clip_224"] = clipPreset(768, 16, 512, VitActivation::Gelu);
        m["vit_base_patch32_clip_224"] = clipPreset(768, 32, 512, VitActivation::Gelu);
        m["vit_base_patch16_clip_quickgelu_224"] = clipPreset(768, 16, 512, VitActivation::QuickGelu);
        m["vit_base_patch32_clip_quickgelu_224"] = clipPreset(768, 32, 512, VitActivation::QuickGelu);
        m["vit_giant_patch14_dinov2"] = dinov2Preset(1536, 0);
        m["vit_giant_patch14_dinov2"].vit.depth = 40;
        m["vit_giant_patch14_dinov2"].vit.heads = 24;
        m["vit_giant_patch14_dinov2"].vit.mlpDim = 8192; // SwiGLU: value and gate halves of 4096
        m["vit_giant_patch14_dinov2"].vit.swiglu = true;
        m["vit_base_patch16_siglip_224"] = siglipPreset(768, 12, 12, 3072, 16, 224);
        m["vit_base_patch16_siglip_256"] = siglipPreset(768, 12, 12, 3072, 16, 256);
        m["vit_so400m_patch14_siglip_224"] = siglipPreset(1152, 16, 27, 4304, 14, 224);
        m["vit_so400m_patch14_siglip_384"] = siglipPreset(1152, 16, 27, 4304, 14, 384);
        m["convnext_tiny"] = convnextPreset({3, 3, 9, 3}, {96, 192, 384, 768});
        m["convnext_small"] = convnextPreset({3, 3, 27, 3}, {96, 192, 384, 768});
        m["convnext_base"] = convnextPreset({3, 3, 27, 3}, {128, 256, 512, 1024});
        m["convnext_large"] = convnextPreset({3, 3, 27, 3}, {192, 384, 768, 1536});
        m["resnet18"] = resnetPreset(false, {2, 2, 2, 2});
        m["resnet34"] = resnetPreset(false, {3, 4, 6, 3});
        m["resnet50"] = resnetPreset(true, {3, 4, 6, 3});
        m["resnet101"] = resnetPreset(true, {3, 4, 23, 3});
        m["resnet152"] = resnetPreset(true, {3, 8, 36, 3});
        for (auto &[name, spec] : m)
            spec.name = name;
        return m;
    }();
    return kPresets;
}

int presetVitHeads(const ArchSpec &spec)
{
    for (const auto &[name, preset] : archPresets()) {
        const auto &a = preset.vit;
        const auto &b = spec.vit;
        if (preset.family == ArchFamily::Vit && spec.family == ArchFamily::Vit && a.dim == b.dim &&
            a.depth == b.depth && a.mlpDim == b.mlpDim)
            return a.heads; // the patch size does not change the heads (so400m patch 14 or 16)
    }
    return 0;
}

std::string archPresetList()
{
    std::string out;
    for (const auto &[name, spec] : archPresets())
        out += (out.empty() ? "" : " ") + name;
    return out + " vit resnet convnext";
}

} // namespace upstep::core
