#pragma once
// A LoRA adapter on its own: PEFT-named tensors plus what is needed to attach them again (rank,
// alpha, the adapted module names, the base model's architecture). Two forms are read here: a PEFT
// folder (adapter_config.json + adapter_model.safetensors) and a .safetensors written by upstep.
// A run folder's adapter is found by loadAdapterOrRun() (run/runsnapshot.h), since the run folder's
// layout belongs to the run module.
//
// Threading: free functions; the model belongs to the caller's thread.

#include "io/safetensors.h"
#include "models/backbone.h"
#include "models/lora.h"

#include <filesystem>

namespace upstep::core {

struct AdapterInfo {
    int rank = 0;
    double alpha = 0;
    std::vector<std::string> modules; ///< full module names, e.g. blocks.0.attn.qkv
    QkvProjections qkvProjections;    ///< which row blocks of adapted qkv layers are adapted
    std::string baseWeights;          ///< the base file it was trained on, as given
};

struct Adapter {
    AdapterInfo info;
    TensorMap tensors; ///< PEFT names (base_model.model.<module>.lora_A.weight)
    std::filesystem::path file;
};

/// Adapter tensors and info of a model that carries LoRA.
Adapter adapterFromModel(BackboneImpl &model, const std::string &baseWeights);

/// Writes the adapter atomically as a safetensors file with its info in __metadata__.
void saveAdapterFile(const Adapter &adapter, const std::filesystem::path &file, Metadata extra = {});

/// An adapter from LoRA tensors in PEFT names (as a checkpoint holds them); the rank and the
/// modules come from the tensors. Throws FormatError naming `file` when there are none.
Adapter adapterFromTensors(TensorMap tensors, double alpha, const std::string &baseWeights,
                           const std::filesystem::path &file);

/// Reads either form. Throws FormatError naming the file for anything malformed.
Adapter loadAdapter(const std::filesystem::path &path);

/// Injects LoRA as the adapter describes and loads its tensors; the model must be the base.
void applyAdapter(BackboneImpl &model, const Adapter &adapter);

} // namespace upstep::core
