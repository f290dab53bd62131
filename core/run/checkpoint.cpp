#include "run/checkpoint.h"

#include "upstep/common/error.h"
#include "upstep/run/runpaths.h"

#include <algorithm>
#include <cstdio>
#include <regex>

namespace upstep::core {

namespace {

const std::regex kCheckpointName(R"(step-(\d{8,})\.safetensors)");

constexpr const char *kLora = "lora/";
constexpr const char *kHead = "head/";
constexpr const char *kBackbone = "backbone/";
constexpr const char *kOffline = "offline/";
constexpr const char *kCenterMu = "center/mu";
constexpr const char *kCenterMu0 = "center/mu0";
constexpr const char *kHeadCenterMu = "center/head_mu";
constexpr const char *kHeadCenterMu0 = "center/head_mu0";
constexpr const char *kPrototypes = "prototypes";
constexpr const char *kGateState = "gate/state";
constexpr const char *kOptimizer = "optimizer/archive";
constexpr const char *kCpuRng = "rng/cpu";

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

TensorMap withPrefix(const TensorMap &tensors, const std::string &prefix)
{
    TensorMap out;
    for (const auto &[name, tensor] : tensors)
        if (name.rfind(prefix, 0) == 0)
            out[name.substr(prefix.size())] = tensor;
    return out;
}

TensorMap toTensors(const Checkpoint &c)
{
    TensorMap t;
    for (const auto &[name, tensor] : c.lora)
        t[kLora + name] = tensor;
    for (const auto &[name, tensor] : c.head)
        t[kHead + name] = tensor;
    for (const auto &[name, tensor] : c.backbone)
        t[kBackbone + name] = tensor;
    for (std::size_t i = 0; i < c.offline.size(); ++i)
        t[kOffline + std::to_string(i)] = c.offline[i];
    t[kCenterMu] = c.centerMu;
    t[kCenterMu0] = c.centerMu0;
    if (c.prototypes.defined())
        t[kPrototypes] = c.prototypes;
    if (c.headCenterMu.defined()) {
        t[kHeadCenterMu] = c.headCenterMu;
        t[kHeadCenterMu0] = c.headCenterMu0;
    }
    t[kGateState] = torch::tensor(c.gateState, torch::kFloat64);
    t[kOptimizer] = bytesToTensor(c.optimizerArchive);
    t[kCpuRng] = c.cpuRngState;
    return t;
}

Checkpoint fromTensors(TensorMap t, const std::filesystem::path &file)
{
    const auto take = [&](const std::string &name) {
        const auto it = t.find(name);
        if (it == t.end())
            throw FormatError(file, "checkpoint misses tensor '" + name + "'");
        return it->second;
    };
    Checkpoint c;
    c.lora = withPrefix(t, kLora);
    c.head = withPrefix(t, kHead);
    c.backbone = withPrefix(t, kBackbone);
    for (std::size_t i = 0; t.count(kOffline + std::to_string(i)); ++i)
        c.offline.push_back(take(kOffline + std::to_string(i)));
    c.centerMu = take(kCenterMu);
    c.centerMu0 = take(kCenterMu0);
    if (t.count(kPrototypes))
        c.prototypes = take(kPrototypes);
    if (t.count(kHeadCenterMu)) {
        c.headCenterMu = take(kHeadCenterMu);
        c.headCenterMu0 = take(kHeadCenterMu0);
    }
    const auto gate = take(kGateState).to(torch::kFloat64).contiguous();
    c.gateState.assign(gate.data_ptr<double>(), gate.data_ptr<double>() + gate.numel());
    c.optimizerArchive = tensorToBytes(take(kOptimizer));
    c.cpuRngState = take(kCpuRng);
    return c;
}

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
        // Over 18 digits is no step number this program writes (and would overflow stoll).
        if (entry.is_regular_file(ec) && std::regex_match(name, match, kCheckpointName) && match[1].length() <= 18)
            found.emplace_back(std::stoll(match[1].str()), entry.path());
    }
    std::sort(found.begin(), found.end());
    std::vector<std::filesystem::path> out;
    for (auto &[_, path] : found)
        out.push_back(std::move(path));
    return out;
}

std::string checkpointFileName(std::int64_t step)
{
    char name[64];
    std::snprintf(name, sizeof name, "step-%08lld.safetensors", static_cast<long long>(step));
    return name;
}

std::filesystem::path saveCheckpoint(const std::filesystem::path &dir, const Checkpoint &checkpoint, int keep)
{
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw IoError(dir, "cannot create the checkpoint folder: " + ec.message());
    const auto file = dir / checkpointFileName(checkpoint.step);
    auto metadata = checkpoint.metadata;
    metadata["upstep.step"] = std::to_string(checkpoint.step);
    saveSafetensors(file, toTensors(checkpoint), metadata);
    auto all = listCheckpoints(dir);
    for (std::size_t i = 0; i + static_cast<std::size_t>(std::max(keep, 1)) < all.size(); ++i)
        std::filesystem::remove(all[i], ec); // a stale old checkpoint is harmless
    return file;
}

namespace {

Checkpoint loadCheckpointFile(const std::filesystem::path &path)
{
    auto file = loadSafetensors(path);
    const auto it = file.metadata.find("upstep.step");
    if (it == file.metadata.end())
        throw FormatError(path, "not an upstep checkpoint (no upstep.step in its metadata)");
    std::size_t used = 0;
    long long step = -1;
    try {
        step = std::stoll(it->second, &used);
    } catch (const std::exception &) {
    }
    if (step < 0 || used != it->second.size())
        throw FormatError(path, "upstep.step '" + it->second + "' is not a step number");
    requireFinite(path, file.tensors);
    auto checkpoint = fromTensors(std::move(file.tensors), path);
    checkpoint.step = step;
    checkpoint.metadata = std::move(file.metadata);
    return checkpoint;
}

} // namespace

std::optional<Checkpoint> loadLatestCheckpoint(const std::filesystem::path &dir)
{
    const auto all = listCheckpoints(dir);
    if (all.empty())
        return std::nullopt;
    return loadCheckpointFile(all.back());
}

std::optional<Checkpoint> loadCheckpointAtStep(const std::filesystem::path &dir, std::int64_t step)
{
    if (step < 0)
        return loadLatestCheckpoint(dir);
    for (const auto &file : listCheckpoints(dir))
        if (file.filename() == checkpointFileName(step))
            return loadCheckpointFile(file);
    return std::nullopt;
}

std::vector<std::int64_t> checkpointSteps(const std::filesystem::path &runDir)
{
    std::vector<std::int64_t> steps;
    for (const auto &file : listCheckpoints(RunPaths(runDir).checkpoints())) {
        const auto name = file.stem().string(); // step-NNNNNNNN
        steps.push_back(std::stoll(name.substr(name.find('-') + 1)));
    }
    return steps;
}

void restoreParameters(torch::nn::Module &module, const TensorMap &values, const std::filesystem::path &where)
{
    torch::NoGradGuard noGrad;
    for (auto &item : module.named_parameters()) {
        const auto it = values.find(item.key());
        if (it == values.end())
            throw FormatError(where, "checkpoint misses the tensor of parameter '" + item.key() + "'");
        item.value().copy_(it->second);
    }
}

} // namespace upstep::core
