#pragma once
// How much memory an adaptation run will take, said before it starts (in the run log, so in the
// CLI and the workbench alike). A first-order model, not a measurement: the frozen weights, the
// trainable state, what a kept iteration keeps for back-propagation, the loader's batches and the
// probe samples. docs/PERFORMANCE.md compares it with measured peaks.
//
// Threading: pure functions. Torch-free.

#include "upstep/models/archspec.h"
#include "upstep/run/trainconfig.h"

#include <cstdint>
#include <string>

namespace upstep::core {

struct MemoryEstimate {
    std::int64_t weights = 0;     ///< every parameter of the base model, float32
    std::int64_t training = 0;    ///< trainable parameters with their gradients, AdamW moments and EMA copy
    std::int64_t activations = 0; ///< kept for back-propagation by one kept iteration (all views)
    std::int64_t batches = 0;     ///< loader batches queued, being made and in use
    std::int64_t probes = 0;      ///< the fixed probe samples held for the monitors
    /// The program itself in host memory: LibTorch's and OpenCV's code and buffers, about what
    /// `upstep info` peaks at (0.34 GB measured with Debian's LibTorch). Not on the GPU.
    std::int64_t runtime = 350'000'000;
    bool onDevice = false; ///< weights, training state, activations and probes sit on a GPU
    std::int64_t total() const { return weights + training + activations + batches + probes + runtime; }
    /// What sits in GPU memory (0 on the CPU): everything but the loader's batches and the
    /// program; CUDA's own context (some hundreds of MB) comes on top.
    std::int64_t device() const { return onDevice ? total() - batches - runtime : 0; }
};

/// parameters: the base model's; trainable: LoRA and head parameters. bf16: the run computes
/// under bf16 autocast. fusedAttention: attention scores are not stored (LibTorch 2.1+).
MemoryEstimate estimateTrainingMemory(const ArchSpec &spec, std::int64_t parameters, std::int64_t trainable,
                                      const TrainConfig &config, bool bf16, bool fusedAttention, bool onDevice);

/// The same for `config` as a run would resolve it on this machine (precision, device, attention
/// kernel), for a front end that has the model's summary but not the model: the trainable
/// parameters are the projection head's; LoRA's (well under 1 % of the total for the default
/// rank) are left out.
MemoryEstimate estimateTrainingMemory(const ArchSpec &spec, std::int64_t parameters, const TrainConfig &config);

/// Parameters of the projection head and its prototypes on features of this width
/// (docs/METHOD.md §2).
std::int64_t projectionHeadParameters(std::int64_t featureDim, int prototypes);

/// "about 3.4 GB (weights 0.09, training state 0.01, activations 2.9, batches 0.27, probes 0.15,
/// program 0.35)";
/// on a GPU it also says how much of that is device memory.
std::string describeMemoryEstimate(const MemoryEstimate &estimate);

} // namespace upstep::core
