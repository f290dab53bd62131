#pragma once
// Plain description of a backbone: family, shape parameters, head and preprocessing. It is
// written as JSON into the __metadata__ of every weights file the project saves, parsed from
// --arch strings, and shown to users. Torch-free, so the UI can use it.

#include <array>
#include <string>

namespace upstep::core {

enum class ArchFamily { Vit, ResNet, ConvNext };
enum class Interpolation { Nearest, Bilinear, Bicubic };

/// How an image becomes a model input: resize the shorter side to round(inputSize / cropPct),
/// centre-crop inputSize, scale to [0, 1], normalise per channel.
struct Preprocessing {
    int inputSize = 224;
    double cropPct = 0.875;
    int channels = 3;
    std::array<double, 3> mean{0.485, 0.456, 0.406};
    std::array<double, 3> std{0.229, 0.224, 0.225};
    Interpolation interpolation = Interpolation::Bilinear;

    int resizeSize() const;
};

enum class VitPool { Token, Avg, Map };
enum class VitActivation { Gelu, QuickGelu };

/// A ViT in timm's layout, with the variations of the families people adapt: DINOv2 and DeiT-III
/// (LayerScale, register tokens, position embedding without the class entry), CLIP image towers
/// (a norm before the blocks, QuickGELU, LayerNorm eps 1e-5) and MAE/BEiT-style average pooling
/// with fc_norm, SigLIP (no class token, attention pooling) and DINOv2 giant (SwiGLU MLP).
struct VitShape {
    int imgSize = 224;
    int patch = 16;
    int depth = 12;
    int dim = 384;
    int heads = 6;
    int mlpDim = 1536;
    bool classToken = true;        ///< cls_token (SigLIP has none)
    int regTokens = 0;             ///< register tokens after the class token (reg_token)
    bool noEmbedClass = false;     ///< pos_embed covers the patches only (added before the prefix tokens)
    bool layerScale = false;       ///< blocks.N.ls1.gamma / ls2.gamma scale each residual branch
    bool normPre = false;          ///< norm_pre before the blocks (CLIP)
    bool qkvBias = true;           ///< attn.qkv has a bias
    /// Token: the class token after the final norm; Avg: mean of the patch tokens through fc_norm
    /// (no final norm); Map: timm's attention pool (attn_pool: a learned query over the patches).
    VitPool pool = VitPool::Token;
    bool swiglu = false; ///< timm's SwiGLUPacked MLP: fc1 holds value and gate halves, SiLU gate
    VitActivation activation = VitActivation::Gelu;
    double eps = 1e-6; ///< LayerNorm epsilon (timm 1e-6; CLIP 1e-5)

    int prefixTokens() const { return (classToken ? 1 : 0) + regTokens; }
    /// Entries of pos_embed for a grid of side g.
    int posEmbedLength(int grid) const { return grid * grid + (noEmbedClass ? 0 : prefixTokens()); }
};

struct ResNetShape {
    bool bottleneck = true;
    std::array<int, 4> layers{3, 4, 6, 3};
    int widthPerGroup = 64; ///< bottleneck width factor, 128 for wide ResNets
};

/// ConvNeXt (v1) in timm's layout: a 4x4 patch stem, four stages of depthwise 7x7 + MLP blocks
/// with LayerScale, stages 2-4 entered through a LayerNorm and a 2x2 stride-2 convolution, global
/// average pooling and a LayerNorm (head.norm) before the classifier (head.fc). LayerNorm eps 1e-6.
struct ConvNextShape {
    std::array<int, 4> depths{3, 3, 9, 3};
    std::array<int, 4> dims{96, 192, 384, 768};
};

struct ArchSpec {
    ArchFamily family = ArchFamily::Vit;
    std::string name;   ///< preset name when one matches, e.g. vit_small_patch16_224
    int inChans = 3;
    int numClasses = 0; ///< 0 when the weights carry no classifier head
    VitShape vit;
    ResNetShape resnet;
    ConvNextShape convnext;
    Preprocessing preprocessing;

    int featureDim() const;
};

/// Parses NAME[,key=value...], e.g. "vit_small_patch16_224", "resnet50,num_classes=0", "convnext_tiny" or
/// "vit,img_size=28,patch=4,depth=6,dim=192,heads=3,in_chans=1,num_classes=10".
/// Keys: img_size patch depth dim heads mlp_dim in_chans num_classes; for ViT variants
/// class_token=0|1 reg_tokens no_embed_class=0|1 layer_scale=0|1 norm_pre=0|1 qkv_bias=0|1
/// pool=token|avg|map swiglu=0|1 act=gelu|quick_gelu eps; for ConvNeXt depths=a/b/c/d
/// dims=a/b/c/d; for preprocessing mean=a/b/c std=a/b/c crop_pct
/// interpolation=bilinear|bicubic|nearest.
/// Throws InputError naming what is wrong and what is accepted.
ArchSpec parseArchSpec(const std::string &text);

/// Applies key=value overrides (same keys as parseArchSpec) to an existing spec.
void applyArchOverrides(ArchSpec &spec, const std::string &overrides);

/// The preset name matching the shape (e.g. "resnet50"), or a descriptive one.
std::string canonicalArchName(const ArchSpec &spec);

/// The JSON stored under the "upstep.arch" metadata key.
std::string archSpecToJson(const ArchSpec &spec);
ArchSpec archSpecFromJson(const std::string &json);

/// Human-readable one-line summary, e.g. "ViT dim 384 depth 12 heads 6 patch 16 @224".
std::string describeArch(const ArchSpec &spec);
std::string interpolationName(Interpolation interpolation);
std::string vitPoolName(VitPool pool);
std::string vitActivationName(VitActivation activation);
/// The choices made for the model, one per line ("pooling: class token", "layer scale: yes", ...),
/// for `upstep info` and the workbench.
std::string describeArchChoices(const ArchSpec &spec);

/// The head count of the preset ViT with this width, depth, MLP and patch, or 0 when none
/// matches: a file's shapes do not give it (SigLIP so400m has 16 heads of 72 channels, not
/// timm's usual 64).
int presetVitHeads(const ArchSpec &spec);

/// Names accepted as presets by parseArchSpec.
std::string archPresetList();

} // namespace upstep::core
