#pragma once
// A run's whole training state to and from a Checkpoint: the trained weights (the LoRA tensors,
// or every backbone tensor when the run fine-tunes the whole backbone), the head and its
// prototypes, the offline stream, the center vectors, the gate, the optimiser and the CPU random
// generator. One place knows what a checkpoint must hold for a resume to continue bit-identically;
// the trainer decides when to save and what to tell the user.
//
// Threading: the training thread's, like the model and the step it reads and writes.

#include "run/checkpoint.h"
#include "train/adaptationstep.h"
#include "upstep/common/choices.h"

#include <filesystem>
#include <functional>

namespace upstep::core {

/// The state after `step` iterations (the caller checks that it is finite first).
Checkpoint captureTrainingState(BackboneImpl &backbone, AdaptationStep &adaptation, Tuning tuning, std::int64_t step);

/// What a restore found that the trainer reports or acts on.
struct RestoredState {
    std::int64_t step = 0;
    bool loraOnAllProjections = false; ///< an older checkpoint trained q, k and v: the run continues so
};

/// Puts a checkpoint's state back into the model and the adaptation step, on `device`.
/// `checkpoints` is the run's checkpoint folder, named in errors. A checkpoint without stored
/// prototypes (older than k-means ones) calls placePrototypes, where the prototypes belong in
/// the order of the restore. Throws InputError when the checkpoint does not fit this run.
RestoredState restoreTrainingState(const Checkpoint &checkpoint, BackboneImpl &backbone, AdaptationStep &adaptation,
                                   Tuning tuning, torch::Device device, const std::filesystem::path &checkpoints,
                                   const std::function<void()> &placePrototypes);

} // namespace upstep::core
