#pragma once
// Weights as users download them: safetensors (timm, Hugging Face) or torch.save .pth/.pt files
// (torchvision, original research releases), told apart by their first bytes.
//
// Threading: pure functions; safe from any thread.

#include "io/safetensors.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace upstep::core {

/// The weights file a path names: the path itself, or for a folder (a Hugging Face model folder)
/// its model.safetensors, else pytorch_model.bin, else its only *.safetensors file. Throws
/// InputError naming what was looked for.
std::filesystem::path resolveWeightsFile(const std::filesystem::path &path);

/// True when the file starts as torch.save writes: a zip archive (torch >= 1.6) or a bare pickle.
bool isTorchSaveFile(const std::filesystem::path &file);

/// Reads every tensor of a safetensors or torch.save file (see torchsave.h: no code from the file
/// runs). floatsAs converts floating tensors as loadSafetensors does. notes receives what was
/// unwrapped from a torch.save checkpoint. Throws FormatError/IoError naming the file.
TensorFile loadWeightsFile(const std::filesystem::path &file, std::optional<torch::ScalarType> floatsAs = std::nullopt,
                           std::vector<std::string> *notes = nullptr);

} // namespace upstep::core
