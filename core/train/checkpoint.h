#pragma once
// Training checkpoints: one safetensors file per checkpoint, checkpoints/step-NNNNNNNN.safetensors,
// written atomically, so a crash or a full disk never leaves a half-written checkpoint and the
// previous one stays valid. Tensors hold the weights and every piece of state (optimiser moments
// as a serialized archive, EMA, mu, mu0, gate statistics, RNG); metadata holds the step and the
// run's fingerprint.
//
// Threading: free functions, called from the training thread.

#include "io/safetensors.h"

#include <filesystem>
#include <optional>

namespace upstep::core {

struct Checkpoint {
    std::int64_t step = 0;
    TensorMap tensors;
    Metadata metadata;
};

/// Writes dir/step-NNNNNNNN.safetensors atomically and then deletes all but the newest `keep`.
std::filesystem::path saveCheckpoint(const std::filesystem::path &dir, const Checkpoint &checkpoint, int keep);

/// Checkpoint files in dir, oldest first.
std::vector<std::filesystem::path> listCheckpoints(const std::filesystem::path &dir);

/// The newest checkpoint, or nullopt when dir holds none. Throws FormatError for a damaged file.
std::optional<Checkpoint> loadLatestCheckpoint(const std::filesystem::path &dir);

/// The tensors stored under "prefix/<name>", keyed by <name> (prefix "lora" gives the adapter).
TensorMap tensorsWithPrefix(const Checkpoint &checkpoint, const std::string &prefix);

/// Copies the tensors stored under "prefix/<parameter name>" into every parameter of module.
/// Throws FormatError naming dir and the tensor when one is missing.
void restoreParameters(torch::nn::Module &module, const Checkpoint &checkpoint, const std::string &prefix,
                       const std::filesystem::path &dir);

/// Bytes as a uint8 tensor and back: how opaque blobs (the optimiser archive) travel in a checkpoint.
torch::Tensor bytesToTensor(const std::string &bytes);
std::string tensorToBytes(const torch::Tensor &tensor);

} // namespace upstep::core
