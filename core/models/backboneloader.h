#pragma once
// From a weights file to a ready backbone: detect the architecture from tensor names and shapes
// (or take it from the file's "upstep.arch" metadata, or from --arch), map torchvision's ViT
// names onto timm's, resize pos_embed to the requested grid, and load strictly: every model
// tensor must be present with its shape. Saving writes timm/torchvision names plus the
// architecture and preprocessing in __metadata__.
//
// Threading: free functions; the returned model belongs to the caller's thread.

#include "io/safetensors.h"
#include "models/transformerslayout.h"
#include "models/backbone.h"

#include <filesystem>
#include <optional>
#include <string>

namespace upstep::core {

/// Metadata key holding archSpecToJson().
inline constexpr const char *kArchMetadataKey = "upstep.arch";

struct DetectedArch {
    ArchSpec spec;
    std::string layout;        ///< "timm" or "torchvision"
    bool headsGuessed = false; ///< a ViT's head count taken as width / 64 (no preset matched)
    std::string source; ///< "metadata", "shapes" or "--arch"
};

/// Maps Meta's original DINOv2 names (mask_token, register_tokens with the class token's position in
/// pos_embed) to timm's. Returns false when the tensors are not of that kind.
bool mapOriginalDinov2Keys(TensorMap &tensors);

/// Renames torchvision ViT keys (conv_proj, encoder.layers.encoder_layer_N, in_proj_weight,
/// heads.head...) to timm's. Returns true when anything was renamed.
bool mapTorchvisionVitKeys(TensorMap &tensors);

/// Renames torchvision ConvNeXt keys (features.0 stem, features.2k+1 stages of CNBlocks with
/// block.0/2/3/5 and layer_scale, features.2k downsampling, classifier.0/2) to timm's, the
/// layer scale reshaped from [C, 1, 1] to [C]. Returns false for other files.
bool mapTorchvisionConvNextKeys(TensorMap &tensors);

/// Detects the architecture of (timm-named) tensors; torchvisionNames says they were mapped
/// from torchvision's ViT, whose preprocessing differs. The file name is used in errors.
DetectedArch detectArch(const TensorMap &tensors, const Metadata &metadata, const std::filesystem::path &file,
                        bool torchvisionNames = false);

BackbonePtr createBackbone(const ArchSpec &spec);

struct LoadedBackbone {
    BackbonePtr model;
    DetectedArch arch;
    std::size_t tensorCount = 0;
    std::vector<std::string> notes; ///< e.g. "pos_embed resized from 14x14 to 24x24"
    std::optional<TransformersLayout> transformers; ///< set for a Hugging Face transformers checkpoint
};

/// How a file's names were brought to timm's.
struct WeightsLayout {
    bool torchvision = false;
    std::optional<TransformersLayout> transformers;
};

/// Renames every layout the loader reads to timm's, in place: Meta's DINOv2 release,
/// torchvision's ViT, transformers' ViT, DINOv2 and CLIP vision models. Exports run it on a probe
/// of the base file's names to find, for each model tensor, the file tensors (and rows) behind it.
WeightsLayout mapWeightsToTimm(TensorMap &tensors, std::vector<std::string> &notes);

/// Loads a weights file. archOverride is an --arch string: a preset or family name replaces
/// detection; a list of key=value pairs alone (e.g. "img_size=384,heads=8") adjusts the detected
/// spec. Throws FormatError for files that are not a supported model.
LoadedBackbone loadBackbone(const std::filesystem::path &file, const std::string &archOverride = {});

/// Copies tensors into the model: names and shapes must match exactly.
void loadStateStrict(torch::nn::Module &model, const TensorMap &tensors, const std::filesystem::path &file);

/// Parameters and buffers (excluding LoRA), on the CPU.
TensorMap backboneTensors(torch::nn::Module &model);

/// Writes model weights with the architecture in __metadata__ (plus extra metadata).
void saveBackbone(BackboneImpl &model, const std::filesystem::path &file, Metadata extra = {});

} // namespace upstep::core
