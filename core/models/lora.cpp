#include "models/lora.h"

#include "upstep/common/error.h"
#include "models/loralayers.h"

#include <algorithm>
#include <optional>
#include <regex>

namespace upstep::core {

namespace {

// Calls fn(name, layer) for every layer that can carry an adapter, of either kind.
template <typename Fn>
void forEachAdaptable(torch::nn::Module &model, Fn &&fn)
{
    for (const auto &item : model.named_modules("", /*include_self=*/false)) {
        if (auto linear = std::dynamic_pointer_cast<LoraLinearImpl>(item.value()))
            fn(item.key(), *linear);
        else if (auto conv = std::dynamic_pointer_cast<LoraConv2dImpl>(item.value()))
            fn(item.key(), *conv);
    }
}

bool matchesPattern(const std::string &name, const std::string &pattern)
{
    return name == pattern ||
           (name.size() > pattern.size() && name.compare(name.size() - pattern.size(), pattern.size(), pattern) == 0 &&
            name[name.size() - pattern.size() - 1] == '.');
}

// The names PEFT users of transformers models give the attention projections, and timm's
// single-letter ones: q, k or v (0, 1, 2), or -1 for any other pattern.
int projectionIndex(const std::string &pattern)
{
    static const std::array<std::array<const char *, 3>, 3> kNames{{
        {"q", "query", "q_proj"},
        {"k", "key", "k_proj"},
        {"v", "value", "v_proj"},
    }};
    for (std::size_t i = 0; i < kNames.size(); ++i)
        for (const char *name : kNames[i])
            if (pattern == name)
                return static_cast<int>(i);
    return -1;
}

constexpr const char *kProjectionLetters[3] = {"q", "k", "v"};

std::vector<std::string> defaultTargets(BackboneImpl &model)
{
    std::vector<std::string> names;
    const auto family = model.spec().family;
    if (family == ArchFamily::Vit || family == ArchFamily::ConvNext) {
        // ViT: the attention's fused qkv. ConvNeXt: the blocks' MLP, which holds most weights.
        forEachAdaptable(model, [&](const std::string &name, auto &) {
            const bool target = family == ArchFamily::Vit
                                    ? matchesPattern(name, "qkv")
                                    : matchesPattern(name, "mlp.fc1") || matchesPattern(name, "mlp.fc2");
            if (target)
                names.push_back(name);
        });
        return names;
    }
    forEachAdaptable(model, [&](const std::string &name, auto &layer) {
        if constexpr (std::is_same_v<std::decay_t<decltype(layer)>, LoraConv2dImpl>)
            if (layer.kernelSize() == 3)
                names.push_back(name);
    });
    return names;
}

} // namespace

std::vector<std::string> resolveLoraTargets(BackboneImpl &model, const std::vector<std::string> &patterns)
{
    if (patterns.empty())
        return defaultTargets(model);
    std::vector<std::string> names;
    for (const auto &given : patterns) {
        // A projection selects the fused qkv layers it is a part of.
        const auto pattern = projectionIndex(given) >= 0 ? std::string("qkv") : given;
        bool matched = false;
        forEachAdaptable(model, [&](const std::string &name, auto &) {
            if (matchesPattern(name, pattern)) {
                matched = true;
                if (std::find(names.begin(), names.end(), name) == names.end())
                    names.push_back(name);
            }
        });
        if (!matched)
            throw InputError("LoRA target '" + given + "' matches no adaptable layer of " + model.spec().name +
                             " (ViT: qkv or its projections query, key, value, and proj, fc1, fc2; ConvNeXt: fc1, "
                             "fc2, stem.0, downsample.1; ResNet: conv1, conv2, conv3; or full names)");
    }
    return names;
}

std::string QkvProjections::text() const
{
    if (all())
        return {};
    std::string out;
    for (std::size_t i = 0; i < 3; ++i)
        if (adapted[i])
            out += (out.empty() ? "" : ",") + std::string(kProjectionLetters[i]);
    return out;
}

QkvProjections QkvProjections::fromText(const std::string &text)
{
    QkvProjections out;
    if (text.empty())
        return out;
    out.adapted = {false, false, false};
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = std::min(text.find(',', start), text.size());
        const int index = projectionIndex(text.substr(start, end - start));
        if (index < 0)
            throw InputError("qkv projections must be a list of q, k and v, got '" + text + "'");
        out.adapted[static_cast<std::size_t>(index)] = true;
        start = end + 1;
    }
    return out;
}

QkvProjections qkvProjectionsOf(const std::vector<std::string> &patterns)
{
    QkvProjections out;
    bool named = false;
    for (const auto &pattern : patterns) {
        if (matchesPattern(pattern, "qkv"))
            return {}; // the whole fused layer
        if (const int index = projectionIndex(pattern); index >= 0) {
            if (!named)
                out.adapted = {false, false, false};
            named = true;
            out.adapted[static_cast<std::size_t>(index)] = true;
        }
    }
    return out;
}

std::vector<std::string> loraPatternsFor(const std::vector<std::string> &patterns, bool transformersLayout)
{
    if (patterns.empty() && transformersLayout)
        return {"query", "value"};
    return patterns;
}

void restrictQkvRows(torch::nn::Module &model, const QkvProjections &projections, const std::vector<std::string> &only)
{
    forEachAdaptable(model, [&](const std::string &name, auto &layer) {
        if constexpr (std::is_same_v<std::decay_t<decltype(layer)>, LoraLinearImpl>) {
            if (!layer.hasLora() || !matchesPattern(name, "qkv") ||
                (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()))
                return;
            if (projections.all()) {
                layer.setAdaptedRows({});
                return;
            }
            const auto rows = layer.weight.size(0) / 3;
            auto mask = torch::zeros({3 * rows});
            for (std::int64_t i = 0; i < 3; ++i)
                if (projections.adapted[static_cast<std::size_t>(i)])
                    mask.narrow(0, i * rows, rows).fill_(1.0);
            layer.setAdaptedRows(mask);
        }
    });
}

QkvProjections qkvProjectionsOfModel(torch::nn::Module &model)
{
    QkvProjections out;
    forEachAdaptable(model, [&](const std::string &name, auto &layer) {
        if constexpr (std::is_same_v<std::decay_t<decltype(layer)>, LoraLinearImpl>) {
            const auto &mask = layer.adaptedRows();
            if (!layer.hasLora() || !matchesPattern(name, "qkv") || !mask.defined())
                return;
            const auto rows = mask.size(0) / 3;
            for (std::int64_t i = 0; i < 3; ++i)
                out.adapted[static_cast<std::size_t>(i)] = mask[i * rows].template item<float>() > 0.5f;
        }
    });
    return out;
}

std::string describeLoraTargets(BackboneImpl &model, const std::vector<std::string> &patterns)
{
    static const std::regex kIndex(R"(\.\d+\.)");
    std::vector<std::pair<std::string, int>> groups; // in the model's order
    const auto projections = qkvProjectionsOf(patterns);
    for (const auto &name : resolveLoraTargets(model, patterns)) {
        // Twice: ".0.1." would leave the second index after one pass of non-overlapping matches.
        auto general = std::regex_replace(std::regex_replace(name, kIndex, ".N."), kIndex, ".N.");
        if (!projections.all() && matchesPattern(name, "qkv"))
            general += " rows " + projections.text();
        const auto it = std::find_if(groups.begin(), groups.end(), [&](const auto &g) { return g.first == general; });
        if (it == groups.end())
            groups.emplace_back(general, 1);
        else
            ++it->second;
    }
    std::string out;
    for (const auto &[general, count] : groups)
        out += (out.empty() ? "" : ", ") + general + " (" + std::to_string(count) +
               (count == 1 ? " layer)" : " layers)");
    return out.empty() ? "none" : out;
}

std::vector<std::string> injectLora(BackboneImpl &model, const LoraConfig &config)
{
    const auto names = resolveLoraTargets(model, config.targets);
    forEachAdaptable(model, [&](const std::string &name, auto &layer) {
        if (std::find(names.begin(), names.end(), name) != names.end())
            layer.attachLora(config.rank, config.alpha);
    });
    restrictQkvRows(model, qkvProjectionsOf(config.targets), names);
    freezeAllButLora(model);
    return names;
}

LoraState loraState(torch::nn::Module &model)
{
    std::optional<LoraState> state;
    forEachAdaptable(model, [&](const std::string &, auto &layer) {
        if (layer.hasLora() && !state)
            state = layer.lora();
    });
    if (!state)
        throw InputError("the model carries no LoRA adapter");
    return *state;
}

void setLoraEnabled(torch::nn::Module &model, bool enabled)
{
    forEachAdaptable(model, [&](const std::string &, auto &layer) {
        if (layer.hasLora())
            layer.setLoraEnabled(enabled);
    });
}

void setLoraScale(torch::nn::Module &model, double scale)
{
    forEachAdaptable(model, [&](const std::string &, auto &layer) {
        if (layer.hasLora())
            layer.setLoraScale(scale);
    });
}

void mergeLora(torch::nn::Module &model)
{
    forEachAdaptable(model, [](const std::string &, auto &layer) { layer.merge(); });
}

void unmergeLora(torch::nn::Module &model)
{
    forEachAdaptable(model, [](const std::string &, auto &layer) { layer.unmerge(); });
}

TensorMap loraTensors(torch::nn::Module &model)
{
    TensorMap out;
    forEachAdaptable(model, [&](const std::string &name, auto &layer) {
        if (!layer.hasLora())
            return;
        const auto base = std::string(kPeftPrefix) + name;
        out[base + ".lora_A.weight"] = layer.lora_A->weight.detach().to(torch::kCPU).clone();
        torch::Tensor b = layer.lora_B->weight;
        if constexpr (std::is_same_v<std::decay_t<decltype(layer)>, LoraLinearImpl>)
            b = layer.effectiveB(); // rows outside a qkv mask written as the zeros they act as
        out[base + ".lora_B.weight"] = b.detach().to(torch::kCPU).clone();
    });
    return out;
}

bool loadLoraTensors(torch::nn::Module &model, const TensorMap &tensors)
{
    auto find = [&](const std::string &name) -> const torch::Tensor & {
        if (auto it = tensors.find(kPeftPrefix + name); it != tensors.end())
            return it->second;
        if (auto it = tensors.find(name); it != tensors.end())
            return it->second;
        throw InputError("adapter tensor '" + std::string(kPeftPrefix) + name + "' is missing");
    };
    torch::NoGradGuard noGrad;
    forEachAdaptable(model, [&](const std::string &name, auto &layer) {
        if (!layer.hasLora())
            return;
        for (auto *param : {&layer.lora_A->weight, &layer.lora_B->weight}) {
            const auto key = name + (param == &layer.lora_A->weight ? ".lora_A.weight" : ".lora_B.weight");
            const auto &src = find(key);
            if (src.sizes() != param->sizes())
                throw InputError("adapter tensor '" + key + "' has shape " + c10::str(src.sizes()) + ", expected " +
                                 c10::str(param->sizes()));
            param->copy_(src);
        }
    });
    // Rows outside a layer's mask that hold an update: the adapter was trained on the whole qkv.
    bool widen = false;
    forEachAdaptable(model, [&](const std::string &, auto &layer) {
        if constexpr (std::is_same_v<std::decay_t<decltype(layer)>, LoraLinearImpl>) {
            const auto &mask = layer.adaptedRows();
            if (layer.hasLora() && mask.defined())
                widen = widen || (layer.lora_B->weight * (1 - mask.to(layer.lora_B->weight.options()).unsqueeze(1)))
                                         .abs()
                                         .max()
                                         .template item<double>() > 0;
        }
    });
    if (widen)
        restrictQkvRows(model, QkvProjections{});
    return widen;
}

void freezeAllButLora(torch::nn::Module &model)
{
    for (auto &item : model.named_parameters(/*recurse=*/true)) {
        const auto &name = item.key();
        const bool isLora = name.find("lora_A.") != std::string::npos || name.find("lora_B.") != std::string::npos;
        item.value().set_requires_grad(isLora);
    }
}

ParameterCounts countParameters(torch::nn::Module &model)
{
    ParameterCounts counts;
    for (const auto &p : model.parameters(/*recurse=*/true)) {
        counts.total += p.numel();
        if (p.requires_grad())
            counts.trainable += p.numel();
    }
    return counts;
}

} // namespace upstep::core
