#pragma once
// Plain description of a backbone: family, shape parameters, head and preprocessing. It is
// written as JSON into the __metadata__ of every weights file the project saves, parsed from
// --arch strings, and shown to users. Torch-free, so the UI can use it.

#include <array>
#include <string>

namespace upstep::core {

enum class ArchFamily { Vit, ResNet };
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

struct VitShape {
    int imgSize = 224;
    int patch = 16;
    int depth = 12;
    int dim = 384;
    int heads = 6;
    int mlpDim = 1536;
};

struct ResNetShape {
    bool bottleneck = true;
    std::array<int, 4> layers{3, 4, 6, 3};
    int widthPerGroup = 64; ///< bottleneck width factor, 128 for wide ResNets
};

struct ArchSpec {
    ArchFamily family = ArchFamily::Vit;
    std::string name;   ///< preset name when one matches, e.g. vit_small_patch16_224
    int inChans = 3;
    int numClasses = 0; ///< 0 when the weights carry no classifier head
    VitShape vit;
    ResNetShape resnet;
    Preprocessing preprocessing;

    int featureDim() const;
};

/// Parses NAME[,key=value...], e.g. "vit_small_patch16_224", "resnet50,num_classes=0" or
/// "vit,img_size=28,patch=4,depth=6,dim=192,heads=3,in_chans=1,num_classes=10".
/// Keys: img_size patch depth dim heads mlp_dim in_chans num_classes, and for preprocessing
/// mean=a/b/c std=a/b/c crop_pct interpolation=bilinear|bicubic|nearest.
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

/// Names accepted as presets by parseArchSpec.
std::string archPresetList();

} // namespace upstep::core
