#include "train/checkpoint.h"

#include "common/error.h"

#include <algorithm>
#include <cstdio>
#include <regex>

namespace upstep::core {

namespace {

const std::regex kCheckpointName(R"(step-(\d{8,})\.safetensors)");

} // namespace

std::vector<std::filesystem::path> listCheckpoints(const std::filesystem::path &dir)
{
    std::vector<std::pair<std::int64_t, std::filesystem::path>> found;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return {};
    for (const auto &entry : std::filesystem::directory_iterator(dir, ec)) {
        std::smatch match;
        const auto name = entry.path().filename().string();
        if (entry.is_regular_file() && std::regex_match(name, match, kCheckpointName))
            found.emplace_back(std::stoll(match[1].str()), entry.path());
    }
    std::sort(found.begin(), found.end());
    std::vector<std::filesystem::path> out;
    for (auto &[_, path] : found)
        out.push_back(std::move(path));
    return out;
}

std::filesystem::path saveCheckpoint(const std::filesystem::path &dir, const Checkpoint &checkpoint, int keep)
{
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw IoError(dir, "cannot create the checkpoint folder: " + ec.message());
    char name[64];
    std::snprintf(name, sizeof name, "step-%08lld.safetensors", static_cast<long long>(checkpoint.step));
    const auto file = dir / name;
    auto metadata = checkpoint.metadata;
    metadata["upstep.step"] = std::to_string(checkpoint.step);
    saveSafetensors(file, checkpoint.tensors, metadata);
    auto all = listCheckpoints(dir);
    for (std::size_t i = 0; i + static_cast<std::size_t>(std::max(keep, 1)) < all.size(); ++i)
        std::filesystem::remove(all[i], ec); // a stale old checkpoint is harmless
    return file;
}

std::optional<Checkpoint> loadLatestCheckpoint(const std::filesystem::path &dir)
{
    const auto all = listCheckpoints(dir);
    if (all.empty())
        return std::nullopt;
    auto file = loadSafetensors(all.back());
    Checkpoint checkpoint;
    const auto it = file.metadata.find("upstep.step");
    if (it == file.metadata.end())
        throw FormatError(all.back(), "not an upstep checkpoint (no upstep.step in its metadata)");
    checkpoint.step = std::stoll(it->second);
    checkpoint.tensors = std::move(file.tensors);
    checkpoint.metadata = std::move(file.metadata);
    return checkpoint;
}

torch::Tensor bytesToTensor(const std::string &bytes)
{
    auto tensor = torch::empty({static_cast<std::int64_t>(bytes.size())}, torch::kUInt8);
    std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char *>(tensor.data_ptr<std::uint8_t>()));
    return tensor;
}

std::string tensorToBytes(const torch::Tensor &tensor)
{
    const auto t = tensor.to(torch::kCPU, torch::kUInt8).contiguous();
    const auto *p = reinterpret_cast<const char *>(t.data_ptr<std::uint8_t>());
    return std::string(p, p + t.numel());
}

TensorMap tensorsWithPrefix(const Checkpoint &checkpoint, const std::string &prefix)
{
    TensorMap tensors;
    const auto head = prefix + "/";
    for (const auto &[name, tensor] : checkpoint.tensors)
        if (name.rfind(head, 0) == 0)
            tensors[name.substr(head.size())] = tensor;
    return tensors;
}

void restoreParameters(torch::nn::Module &module, const Checkpoint &checkpoint, const std::string &prefix,
                       const std::filesystem::path &dir)
{
    torch::NoGradGuard noGrad;
    for (auto &item : module.named_parameters()) {
        const auto it = checkpoint.tensors.find(prefix + "/" + item.key());
        if (it == checkpoint.tensors.end())
            throw FormatError(dir, "checkpoint misses tensor '" + prefix + "/" + item.key() + "'");
        item.value().copy_(it->second);
    }
}

} // namespace upstep::core
