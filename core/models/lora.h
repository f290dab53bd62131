#pragma once
// LoRA on a backbone: inject adapters into named target modules, switch and scale them at run
// time, merge and unmerge, and read or write their tensors under Hugging Face PEFT's names
// (base_model.model.<module>.lora_A.weight / lora_B.weight).
//
// Threading: mutates the module; call from the thread that owns it.

#include "io/safetensors.h"
#include "models/backbone.h"
#include "models/loralayers.h"

#include <array>
#include <functional>
#include <string>
#include <vector>

namespace upstep::core {

struct LoraConfig {
    int rank = 8;
    double alpha = 16;
    /// Module name patterns, matched as PEFT does: the full name, or its last dotted parts.
    /// Empty: qkv for a ViT, mlp.fc1 and mlp.fc2 for a ConvNeXt, the 3x3 convolutions of the
    /// blocks for a ResNet. The projections inside a ViT's fused qkv are named as transformers
    /// models name them (query, key, value; q_proj, k_proj, v_proj; or q, k, v): they adapt those
    /// row blocks of every qkv, the others held at zero (see QkvProjections).
    std::vector<std::string> targets;
};

struct ParameterCounts {
    std::int64_t trainable = 0;
    std::int64_t total = 0;
};

/// Prefix PEFT puts before module paths in adapter files.
inline constexpr const char *kPeftPrefix = "base_model.model.";

/// Which row blocks of the fused qkv layers carry the adapter: all three unless the targets name
/// projections. The adapted ones share lora_A (one LoRA on the fused layer), so PEFT's separate
/// query / value adapters are its exact split, each with that lora_A and its rows of lora_B.
struct QkvProjections {
    std::array<bool, 3> adapted{true, true, true}; ///< q, k, v
    bool all() const { return adapted[0] && adapted[1] && adapted[2]; }
    /// "q,v" style, empty when all are adapted.
    std::string text() const;
    /// Parses "q,v" (empty: all). Throws InputError on anything else.
    static QkvProjections fromText(const std::string &text);
};

/// The projections the patterns name; all when they name none, or name qkv itself.
QkvProjections qkvProjectionsOf(const std::vector<std::string> &patterns);

/// PEFT's habit for transformers models, LoRA on query and value: the targets for a base loaded
/// from a transformers layout when none are given. Other patterns are returned as they are.
std::vector<std::string> loraPatternsFor(const std::vector<std::string> &patterns, bool transformersLayout);

/// Restricts the adapted fused qkv layers of the model (those named in `only`, or all when it is
/// empty) to the given projections.
void restrictQkvRows(torch::nn::Module &model, const QkvProjections &projections,
                     const std::vector<std::string> &only = {});

/// What the model's adapted qkv layers carry (all when it has none restricted).
QkvProjections qkvProjectionsOfModel(torch::nn::Module &model);

/// Full names of the modules the patterns select (or the defaults). Throws InputError when a
/// pattern matches no adaptable layer.
std::vector<std::string> resolveLoraTargets(BackboneImpl &model, const std::vector<std::string> &patterns);

/// The layers the patterns (or the defaults) select, grouped by their name with block indices as
/// N, e.g. "blocks.N.attn.qkv (12 layers)". For `upstep info` and logs.
std::string describeLoraTargets(BackboneImpl &model, const std::vector<std::string> &patterns);

/// Attaches adapters, freezes every other parameter, and returns the adapted module names.
std::vector<std::string> injectLora(BackboneImpl &model, const LoraConfig &config);

/// Rank, alpha and switches of the first adapted layer (injectLora gives all the same). Throws
/// InputError when the model carries no adapter.
LoraState loraState(torch::nn::Module &model);

void setLoraEnabled(torch::nn::Module &model, bool enabled);
void setLoraScale(torch::nn::Module &model, double scale);
void mergeLora(torch::nn::Module &model);
void unmergeLora(torch::nn::Module &model);

/// Adapter tensors under PEFT names, on the CPU.
TensorMap loraTensors(torch::nn::Module &model);
/// Loads adapter tensors (PEFT names, with or without the prefix). Throws FormatError-like
/// InputError on a missing tensor or a shape mismatch. A qkv layer restricted to some
/// projections whose loaded lora_B has non-zero rows outside them (a run trained on the whole
/// qkv before query and value became the default) is widened to all three, so the model is the
/// one that was trained; returns true when that happened.
bool loadLoraTensors(torch::nn::Module &model, const TensorMap &tensors);

/// Sets requires_grad on adapter parameters only.
void freezeAllButLora(torch::nn::Module &model);

ParameterCounts countParameters(torch::nn::Module &model);

} // namespace upstep::core
