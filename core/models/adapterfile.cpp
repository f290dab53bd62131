#include "models/adapterfile.h"

#include "models/transformerslayout.h"

#include "upstep/common/error.h"
#include "upstep/common/jsontext.h"

#include <nlohmann/json.hpp>

#include <fstream>

namespace upstep::core {

namespace {

constexpr const char *kLoraSuffixA = ".lora_A.weight";

std::vector<std::string> modulesOf(const TensorMap &tensors)
{
    std::vector<std::string> modules;
    const std::string prefix = kPeftPrefix;
    for (const auto &[name, _] : tensors) {
        if (name.size() <= std::string(kLoraSuffixA).size() ||
            name.compare(name.size() - std::string(kLoraSuffixA).size(), std::string::npos, kLoraSuffixA) != 0)
            continue;
        auto module = name.substr(0, name.size() - std::string(kLoraSuffixA).size());
        if (module.rfind(prefix, 0) == 0)
            module = module.substr(prefix.size());
        modules.push_back(module);
    }
    return modules;
}

/// The projections of the fused qkv layers that hold an update: those with a non-zero row of
/// lora_B in some layer (all when none has one, as before training). Leaving out a projection
/// whose rows are all zero never changes what the adapter computes.
QkvProjections projectionsWithUpdates(const TensorMap &tensors)
{
    QkvProjections out;
    out.adapted = {false, false, false};
    const std::string suffix = std::string(".qkv") + ".lora_B.weight";
    for (const auto &[name, tensor] : tensors) {
        if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0 ||
            tensor.dim() != 2 || tensor.size(0) % 3 != 0)
            continue;
        const auto rows = tensor.size(0) / 3;
        for (std::int64_t i = 0; i < 3; ++i)
            if (tensor.narrow(0, i * rows, rows).abs().max().item<double>() > 0)
                out.adapted[static_cast<std::size_t>(i)] = true;
    }
    if (!out.adapted[0] && !out.adapted[1] && !out.adapted[2])
        return {};
    return out;
}

/// Rank from the first lora_A tensor: its first dimension.
int rankOf(const TensorMap &tensors, const std::filesystem::path &file)
{
    for (const auto &[name, tensor] : tensors)
        if (name.find(kLoraSuffixA) != std::string::npos && tensor.dim() >= 2)
            return static_cast<int>(tensor.size(0));
    throw FormatError(file, "holds no lora_A tensors: not a LoRA adapter");
}

Adapter loadPeftFolder(const std::filesystem::path &dir)
{
    const auto configFile = dir / "adapter_config.json";
    const auto weightsFile = dir / "adapter_model.safetensors";
    std::ifstream in(configFile);
    if (!in)
        throw IoError(configFile, "cannot open the PEFT adapter config");
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception &e) {
        throw FormatError(configFile, std::string("not valid JSON: ") + e.what());
    }
    if (config.value("peft_type", "") != "LORA")
        throw FormatError(configFile, "peft_type is not LORA");
    auto file = loadSafetensors(weightsFile, torch::kFloat32);
    requireFinite(weightsFile, file.tensors);
    Adapter adapter;
    adapter.file = weightsFile;
    adapter.tensors = std::move(file.tensors);
    try {
        adapter.info.rank = config.at("r").get<int>();
        adapter.info.alpha = config.at("lora_alpha").get<double>();
        adapter.info.baseWeights = config.value("base_model_name_or_path", "");
    } catch (const nlohmann::json::exception &e) {
        throw FormatError(configFile, std::string("missing or wrong r / lora_alpha: ") + e.what());
    }
    // Written for a transformers model (upstep exports LoRA trained on one in its names): back
    // to the timm names the models here use.
    const auto base = config.contains("auto_mapping") && config["auto_mapping"].is_object()
                          ? config["auto_mapping"].value("base_model_class", "")
                          : std::string();
    if (const auto model = transformersModelOfClass(base)) {
        try {
            adapter.tensors = transformersLoraToTimm(adapter.tensors, *model);
        } catch (const InputError &e) {
            throw FormatError(weightsFile, e.what());
        }
    }
    adapter.info.modules = modulesOf(adapter.tensors);
    adapter.info.qkvProjections = projectionsWithUpdates(adapter.tensors);
    if (rankOf(adapter.tensors, weightsFile) != adapter.info.rank)
        throw FormatError(weightsFile, "lora_A rank differs from r in adapter_config.json");
    return adapter;
}

} // namespace

Adapter adapterFromModel(BackboneImpl &model, const std::string &baseWeights)
{
    Adapter adapter;
    adapter.tensors = loraTensors(model);
    adapter.info.modules = modulesOf(adapter.tensors);
    if (adapter.info.modules.empty())
        throw InputError("the model carries no LoRA adapter");
    adapter.info.rank = rankOf(adapter.tensors, "model");
    adapter.info.alpha = loraState(model).alpha; // injectLora gives every layer the same alpha
    adapter.info.qkvProjections = qkvProjectionsOfModel(model);
    adapter.info.baseWeights = baseWeights;
    return adapter;
}

Adapter adapterFromTensors(TensorMap tensors, double alpha, const std::string &baseWeights,
                           const std::filesystem::path &file)
{
    requireFinite(file, tensors);
    Adapter adapter;
    adapter.file = file;
    adapter.info.rank = rankOf(tensors, file);
    adapter.info.modules = modulesOf(tensors);
    adapter.info.qkvProjections = projectionsWithUpdates(tensors);
    adapter.info.alpha = alpha;
    adapter.info.baseWeights = baseWeights;
    adapter.tensors = std::move(tensors);
    return adapter;
}

void saveAdapterFile(const Adapter &adapter, const std::filesystem::path &file, Metadata extra)
{
    nlohmann::json info{{"r", adapter.info.rank},
                        {"lora_alpha", adapter.info.alpha},
                        {"modules", adapter.info.modules},
                        {"base_weights", adapter.info.baseWeights}};
    if (!adapter.info.qkvProjections.all())
        info["qkv_projections"] = adapter.info.qkvProjections.text();
    extra["upstep.lora"] = jsonText(info);
    extra["format"] = "pt";
    saveSafetensors(file, adapter.tensors, extra);
}

Adapter loadAdapter(const std::filesystem::path &path)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        if (std::filesystem::exists(path / "adapter_config.json"))
            return loadPeftFolder(path);
        throw InputError(path.string() + ": not a PEFT adapter folder (no adapter_config.json)");
    }
    auto file = loadSafetensors(path, torch::kFloat32);
    requireFinite(path, file.tensors);
    const auto it = file.metadata.find("upstep.lora");
    if (it == file.metadata.end())
        throw FormatError(path, "no upstep.lora metadata; for a PEFT adapter pass its folder");
    Adapter adapter;
    adapter.file = path;
    adapter.tensors = std::move(file.tensors);
    try {
        const auto info = nlohmann::json::parse(it->second);
        adapter.info.rank = info.at("r").get<int>();
        adapter.info.alpha = info.at("lora_alpha").get<double>();
        adapter.info.modules = info.at("modules").get<std::vector<std::string>>();
        adapter.info.baseWeights = info.value("base_weights", "");
        adapter.info.qkvProjections = QkvProjections::fromText(info.value("qkv_projections", ""));
    } catch (const InputError &e) {
        throw FormatError(path, std::string("malformed upstep.lora metadata: ") + e.what());
    } catch (const nlohmann::json::exception &e) {
        throw FormatError(path, std::string("malformed upstep.lora metadata: ") + e.what());
    }
    if (rankOf(adapter.tensors, path) != adapter.info.rank)
        throw FormatError(path, "lora_A rank differs from the rank in its metadata");
    return adapter;
}

void applyAdapter(BackboneImpl &model, const Adapter &adapter)
{
    if (adapter.info.rank < 1 || adapter.info.modules.empty())
        throw FormatError(adapter.file, "adapter has no rank or no adapted modules");
    try {
        injectLora(model, {adapter.info.rank, adapter.info.alpha, adapter.info.modules});
        restrictQkvRows(model, adapter.info.qkvProjections);
        loadLoraTensors(model, adapter.tensors);
    } catch (const InputError &e) {
        throw FormatError(adapter.file, std::string("does not fit this base model: ") + e.what());
    }
}

} // namespace upstep::core
