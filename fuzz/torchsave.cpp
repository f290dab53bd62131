// Fuzz target: the torch.save reader (core/io/torchsave.cpp). An input that starts like a zip
// archive is read as a whole .pth file (loadTorchSave: LibTorch's zip reader, then the pickle);
// any other input is a pickle given straight to the interpreter (unpickleStateDict), whose
// storage records are answered with deterministic bytes, so the fuzzer reaches the opcodes
// without having to build a valid zip around them.
// Checked beyond "no crash": nothing but tensors comes back, their bytes stay inside the budget,
// and no Python global other than the few a state dict needs is ever accepted (a pickle that
// names one must be refused, which the typed error covers).
#include "fuzzsupport.h"
#include "io/torchsave.h"

#include <cstring>

using namespace upstep::core;

namespace {

constexpr std::uint64_t kBudget = std::uint64_t{16} << 20;   // bytes of all tensors of one pickle input
constexpr std::uint64_t kRecordCap = std::uint64_t{1} << 20; // bytes a storage record may hold

/// budget: what the reader promises for this input (loadTorchSave: 4x the file plus 1 GiB).
void checkTensors(const TensorMap &tensors, std::uint64_t budget)
{
    std::uint64_t bytes = 0;
    for (const auto &[name, tensor] : tensors) {
        if (!tensor.defined())
            upstep::fuzz::finding("invariant", ("undefined tensor: " + name).c_str());
        bytes += static_cast<std::uint64_t>(tensor.numel()) * tensor.element_size();
    }
    if (bytes > budget)
        upstep::fuzz::finding("invariant", "tensors exceed the byte budget");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    torch::set_num_threads(1); // a fuzzer process should use one core
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static upstep::fuzz::MemoryFile file("fuzz-torchsave");
    if (size >= 4 && std::memcmp(data, "PK\x03\x04", 4) == 0) {
        const auto &path = file.write(data, size);
        const auto budget = 4 * static_cast<std::uint64_t>(size) + (std::uint64_t{1} << 30);
        upstep::fuzz::expectTypedErrors([&] { checkTensors(loadTorchSave(path).tensors, budget); });
        return 0;
    }
    const std::string pickle(reinterpret_cast<const char *>(data), size);
    const StorageReader records = [](const std::string &name, std::uint64_t bytes) {
        // Deterministic contents derived from the record's name, at most kRecordCap bytes: a
        // record shorter than a tensor needs is a case the reader must refuse.
        std::string out(static_cast<std::size_t>(std::min(bytes, kRecordCap)), '\0');
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = static_cast<char>(name.size() * 31 + i * 7);
        return out;
    };
    upstep::fuzz::expectTypedErrors(
        [&] { checkTensors(unpickleStateDict("fuzz-input.pkl", pickle, records, kBudget), kBudget); });
    return 0;
}
