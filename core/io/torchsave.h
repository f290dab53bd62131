#pragma once
// Reads the tensors of a PyTorch .pth/.pt file (torch.save's zip format: a pickle, data.pkl, whose
// tensors point at raw storages, data/N) without running anything from it. The pickle is read by a
// small interpreter that knows only what a state dict needs: dicts (OrderedDict too), lists,
// tuples, strings, numbers, and tensors rebuilt from storages (torch._utils._rebuild_tensor_v2,
// _rebuild_parameter and the torch.*Storage types). Any other Python global (os.system, a model
// class, numpy) is refused by name before it could be called, and nothing ever is: the
// interpreter has no way to call Python code. Old pickles (before torch 1.6's zip format) are
// refused with the one-line conversion.
//
// The zip container is read with LibTorch's PyTorchStreamReader.
//
// Threading: pure functions; safe from any thread.

#include "io/safetensors.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace upstep::core {

/// True when the file starts like a zip archive (torch.save since 1.6).
bool isTorchSaveZip(const std::filesystem::path &file);

struct TorchSaveContents {
    TensorMap tensors;
    std::vector<std::string> notes; ///< what was unwrapped, e.g. "tensors under 'state_dict'"
};

/// The tensors of a torch.save file holding a state dict: a flat dict of tensors, or one nested
/// under "state_dict", "model", "module" or "teacher" (training checkpoints), with a "module."
/// prefix (DataParallel) removed. Non-tensor entries of a checkpoint (epoch, args) are skipped
/// and counted in the notes. Throws FormatError naming the file and what is wrong.
TorchSaveContents loadTorchSave(const std::filesystem::path &file);

/// Returns the first `bytes` bytes of a storage record ("data/KEY"), or fewer when it has fewer.
using StorageReader = std::function<std::string(const std::string &name, std::uint64_t bytes)>;

/// The pickle interpreter alone, for the fuzzer and tests. byteBudget bounds the bytes of all
/// storages and tensors together (loadTorchSave: 4x the file's size plus 1 GiB).
TensorMap unpickleStateDict(const std::filesystem::path &file, const std::string &pickle, const StorageReader &records,
                            std::uint64_t byteBudget = std::uint64_t{1} << 30,
                            std::vector<std::string> *notes = nullptr);

} // namespace upstep::core
