#pragma once
// Training checkpoints: one safetensors file per checkpoint, checkpoints/step-NNNNNNNN.safetensors,
// written atomically, so a crash or a full disk never leaves a half-written checkpoint and the
// previous one stays valid. A Checkpoint holds every piece of a run's state by meaning; the
// tensor names inside the file are known to checkpoint.cpp alone:
//   lora/<name>        the LoRA tensors (PEFT-style names)      head/<name>     projection head
//   offline/<i>        the offline (EMA) stream's weights        center/mu, center/mu0
//   gate/state         the gate's statistics (float64)           rng/cpu         CPU generator state
//   optimizer/archive  the optimiser's serialized archive as uint8
// The file's metadata holds the step (upstep.step) and the run's fingerprint.
//
// Threading: free functions, called from the training thread (or a snapshot reader's thread).

#include "io/safetensors.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace upstep::core {

struct Checkpoint {
    std::int64_t step = 0;
    TensorMap lora;                     ///< LoRA tensors by their PEFT-style names
    TensorMap backbone;                 ///< tuning full: every backbone tensor by name; else empty
    TensorMap head;                     ///< projection head parameters by name
    std::vector<torch::Tensor> offline; ///< the offline stream's weights, in its order
    torch::Tensor centerMu, centerMu0;
    torch::Tensor headCenterMu, headCenterMu0; ///< cvr_space head only; undefined otherwise
    torch::Tensor prototypes; ///< the head's fixed prototypes; undefined in checkpoints older than k-means ones
    std::vector<double> gateState;
    std::string optimizerArchive;       ///< torch::serialize::OutputArchive bytes
    torch::Tensor cpuRngState;
    Metadata metadata;                  ///< the run fingerprint (runfingerprint.h)
};

/// "step-NNNNNNNN.safetensors": the file name of the checkpoint at step.
std::string checkpointFileName(std::int64_t step);

/// Writes dir/step-NNNNNNNN.safetensors atomically and then deletes all but the newest `keep`.
std::filesystem::path saveCheckpoint(const std::filesystem::path &dir, const Checkpoint &checkpoint, int keep);

/// Checkpoint files in dir, oldest first.
std::vector<std::filesystem::path> listCheckpoints(const std::filesystem::path &dir);

/// The newest checkpoint, or nullopt when dir holds none. Throws FormatError for a damaged file
/// or one that misses a piece.
std::optional<Checkpoint> loadLatestCheckpoint(const std::filesystem::path &dir);
/// The checkpoint at step (the newest for step < 0), or nullopt when dir holds none such. Throws
/// like loadLatestCheckpoint.
std::optional<Checkpoint> loadCheckpointAtStep(const std::filesystem::path &dir, std::int64_t step);

/// Copies values[<parameter name>] into every parameter of module. Throws FormatError naming
/// `where` and the parameter when one is missing.
void restoreParameters(torch::nn::Module &module, const TensorMap &values, const std::filesystem::path &where);

} // namespace upstep::core
