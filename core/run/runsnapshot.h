#pragma once
// The adapted model of a run folder as it stands now: its newest checkpoint (written during a
// run every checkpointEvery steps, at stop and at the end), or adapter.safetensors when the
// checkpoints are gone. With a checkpoint comes the clustering head, so images can be assigned
// to the prototypes the run trains against. This is how the embedding inspector shows a run
// that is still going.
//
// Threading: a free function; the returned modules belong to the caller's thread.

#include "method/projectionhead.h"
#include "models/adapterfile.h"
#include "models/backbone.h"

#include <filesystem>

namespace upstep::core {

struct RunSnapshot {
    BackbonePtr model;          ///< the base with the run's LoRA attached, in eval mode
    ProjectionHead head{nullptr}; ///< null when only adapter.safetensors was there
    std::int64_t step = -1;     ///< the checkpoint's step; -1 for adapter.safetensors
};

/// The adapter at path: a run folder's adapter.safetensors (or, for a run stopped before its
/// end, its newest checkpoint), a PEFT adapter folder or an adapter file. Throws InputError for
/// a folder that is neither, FormatError for damaged files.
Adapter loadAdapterOrRun(const std::filesystem::path &path);

/// Empty when the adapter (as loadAdapterOrRun takes it) was trained on these base weights or
/// does not record its base; else a sentence saying which base it was trained on. Adapters fit
/// any base of the same shape, so applying one to another base is not an error, but results
/// then describe a different model and the user should be told.
std::string baseWeightsMismatch(const std::filesystem::path &adapter, const std::filesystem::path &weights);

/// True for a folder holding an upstep run (config.json and a checkpoints folder).
bool isRunFolder(const std::filesystem::path &folder);

/// weights: the base file to use; empty: the one the run's config names. step: that checkpoint;
/// -1: the newest. Throws InputError when the run has neither a checkpoint nor an adapter yet or
/// no checkpoint at step, FormatError for damaged files.
RunSnapshot loadRunSnapshot(const std::filesystem::path &runFolder, const std::filesystem::path &weights = {},
                            const std::string &arch = {}, std::int64_t step = -1);

} // namespace upstep::core
