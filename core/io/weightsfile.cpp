#include "io/weightsfile.h"

#include "io/torchsave.h"
#include "upstep/common/error.h"

#include <fstream>

namespace upstep::core {

bool isTorchSaveFile(const std::filesystem::path &file)
{
    std::ifstream in(file, std::ios::binary);
    unsigned char head[4] = {};
    if (!in.read(reinterpret_cast<char *>(head), 4))
        return false;
    return (head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) ||
           (head[0] == 0x80 && head[1] >= 2 && head[1] <= 5); // a pickle, protocol 2-5
}

std::filesystem::path resolveWeightsFile(const std::filesystem::path &path)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec))
        return path;
    for (const char *name : {"model.safetensors", "pytorch_model.bin"})
        if (std::filesystem::is_regular_file(path / name, ec))
            return path / name;
    std::vector<std::filesystem::path> found;
    for (const auto &entry : std::filesystem::directory_iterator(path, ec))
        if (entry.path().extension() == ".safetensors")
            found.push_back(entry.path());
    if (found.size() == 1)
        return found.front();
    throw InputError(
        path.string() + " is a folder without model.safetensors or pytorch_model.bin" +
        (found.size() > 1 ? std::string(" and with several .safetensors files: name one") : std::string()) +
        " (sharded checkpoints are not read)");
}

TensorFile loadWeightsFile(const std::filesystem::path &file, std::optional<torch::ScalarType> floatsAs,
                           std::vector<std::string> *notes)
{
    const auto resolved = resolveWeightsFile(file);
    if (!isTorchSaveFile(resolved))
        return loadSafetensors(resolved, floatsAs);
    auto contents = loadTorchSave(resolved);
    TensorFile out;
    for (auto &[name, tensor] : contents.tensors)
        out.tensors.emplace(name, floatsAs && tensor.is_floating_point() ? tensor.to(*floatsAs) : std::move(tensor));
    if (notes) {
        notes->push_back("read from a torch.save file (no code in it was run)");
        notes->insert(notes->end(), contents.notes.begin(), contents.notes.end());
    }
    return out;
}

} // namespace upstep::core
