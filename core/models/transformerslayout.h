#pragma once
// Hugging Face transformers checkpoints of the ViTs people adapt: ViTModel (and
// ViTForImageClassification), Dinov2Model (with or without registers) and CLIPVisionModel (or the
// vision half of a CLIPModel). Their tensors are renamed to timm's on load, with the separate
// query/key/value projections fused into timm's qkv, so one model implementation serves every
// layout; exports find the original names again through the same mapping (see
// mapWeightsToTimm in backboneloader.h). config.json and preprocessor_config.json beside the
// weights supply what the tensors cannot: heads, LayerNorm eps, activation, preprocessing.
//
// Threading: pure functions.

#include "io/safetensors.h"
#include "upstep/models/archspec.h"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

namespace upstep::core {

enum class TransformersModel { Vit, Dinov2, ClipVision };

struct TransformersLayout {
    TransformersModel model = TransformersModel::Vit;
    std::string prefix;    ///< "", "vit.", "dinov2." or "vision_model."
    std::string className; ///< for PEFT's auto_mapping, e.g. "Dinov2Model"
};

/// Recognises a transformers checkpoint by its embedding tensors; nullopt for other layouts.
std::optional<TransformersLayout> detectTransformersLayout(const TensorMap &tensors);

/// Renames the tensors to timm's in place: q, k and v concatenated into qkv (rows in that
/// order), CLIP's class and position embeddings reshaped, the projection made a head with a zero
/// bias, registers converted as timm does. Tensors no timm ViT has (ViT's pooler, DINOv2's mask
/// token and classifier, CLIP's text tower) are dropped, and notes say so.
/// A layer without one of its q, k, v tensors is refused, unless `missing` says what stands in
/// for it (adapters on some projections only: a zero lora_B, the shared lora_A).
enum class MissingProjection { Refuse, Zeros, CopyOfAnother };
void mapTransformersToTimm(TensorMap &tensors, const TransformersLayout &layout, std::vector<std::string> &notes,
                           MissingProjection missing = MissingProjection::Refuse);

/// What transformers' defaults give when config.json is absent, then what config.json and
/// preprocessor_config.json (either may be null) say: heads, eps, activation, preprocessing.
void applyTransformersConfig(ArchSpec &spec, const TransformersLayout &layout, const nlohmann::json *config,
                             const nlohmann::json *preprocessor, std::vector<std::string> &notes);

/// The transformers model of a PEFT adapter_config.json's base_model_class ("Dinov2Model",
/// "CLIPVisionModel"...); nullopt for other classes.
std::optional<TransformersModel> transformersModelOfClass(const std::string &className);

/// An adapter written in transformers module names (how upstep exports LoRA trained on such a
/// model) back in timm's: the q, k and v LoRAs of a layer, which share one lora_A, become the
/// fused qkv LoRA they came from; a projection without a LoRA (PEFT's usual query and value
/// only) gets zero rows of lora_B. Throws InputError for q/k/v LoRAs with different lora_A (an
/// adapter trained elsewhere on separate projections is not read yet).
TensorMap transformersLoraToTimm(const TensorMap &peft, TransformersModel model);

} // namespace upstep::core
