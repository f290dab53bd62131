#include "models/transformerslayout.h"

#include "upstep/common/error.h"

#include <nlohmann/json.hpp>

#include <map>
#include <algorithm>
#include <regex>

namespace upstep::core {

namespace {

struct Rule {
    std::regex pattern; ///< on the name without the layout's prefix
    std::string timm;   ///< replacement; empty: dropped
};

// One table per model: ViT and DINOv2 share transformers' encoder.layer.N naming.
const std::vector<Rule> &rules(TransformersModel model)
{
    static const std::vector<Rule> kVit = {
        {std::regex(R"(^embeddings\.cls_token$)"), "cls_token"},
        {std::regex(R"(^embeddings\.position_embeddings$)"), "pos_embed"},
        {std::regex(R"(^embeddings\.patch_embeddings\.projection\.(weight|bias)$)"), "patch_embed.proj.$1"},
        {std::regex(R"(^embeddings\.mask_token$)"), ""},
        {std::regex(R"(^encoder\.layer\.(\d+)\.layernorm_before\.(weight|bias)$)"), "blocks.$1.norm1.$2"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.attention\.output\.dense\.(weight|bias)$)"), "blocks.$1.attn.proj.$2"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.layernorm_after\.(weight|bias)$)"), "blocks.$1.norm2.$2"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.intermediate\.dense\.(weight|bias)$)"), "blocks.$1.mlp.fc1.$2"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.output\.dense\.(weight|bias)$)"), "blocks.$1.mlp.fc2.$2"},
        {std::regex(R"(^layernorm\.(weight|bias)$)"), "norm.$1"},
        {std::regex(R"(^pooler\.)"), ""},
        {std::regex(R"(^classifier\.(weight|bias)$)"), "head.$1"},
    };
    static const std::vector<Rule> kDinov2 = {
        {std::regex(R"(^embeddings\.cls_token$)"), "cls_token"},
        {std::regex(R"(^embeddings\.register_tokens$)"), "reg_token"},
        {std::regex(R"(^embeddings\.position_embeddings$)"), "pos_embed"},
        {std::regex(R"(^embeddings\.patch_embeddings\.projection\.(weight|bias)$)"), "patch_embed.proj.$1"},
        {std::regex(R"(^embeddings\.mask_token$)"), ""},
        {std::regex(R"(^encoder\.layer\.(\d+)\.norm([12])\.(weight|bias)$)"), "blocks.$1.norm$2.$3"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.attention\.output\.dense\.(weight|bias)$)"), "blocks.$1.attn.proj.$2"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.layer_scale([12])\.lambda1$)"), "blocks.$1.ls$2.gamma"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.mlp\.(fc[12])\.(weight|bias)$)"), "blocks.$1.mlp.$2.$3"},
        {std::regex(R"(^layernorm\.(weight|bias)$)"), "norm.$1"},
        {std::regex(R"(^classifier\.)"), ""}, // over [class token, mean patch]: not a head of these features
    };
    static const std::vector<Rule> kClip = {
        {std::regex(R"(^embeddings\.class_embedding$)"), "cls_token"},
        {std::regex(R"(^embeddings\.patch_embedding\.weight$)"), "patch_embed.proj.weight"},
        {std::regex(R"(^embeddings\.position_embedding\.weight$)"), "pos_embed"},
        {std::regex(R"(^embeddings\.position_ids$)"), ""},
        {std::regex(R"(^pre_layrnorm\.(weight|bias)$)"), "norm_pre.$1"},
        {std::regex(R"(^encoder\.layers\.(\d+)\.layer_norm([12])\.(weight|bias)$)"), "blocks.$1.norm$2.$3"},
        {std::regex(R"(^encoder\.layers\.(\d+)\.self_attn\.out_proj\.(weight|bias)$)"), "blocks.$1.attn.proj.$2"},
        {std::regex(R"(^encoder\.layers\.(\d+)\.mlp\.(fc[12])\.(weight|bias)$)"), "blocks.$1.mlp.$2.$3"},
        {std::regex(R"(^post_layernorm\.(weight|bias)$)"), "norm.$1"},
    };
    switch (model) {
    case TransformersModel::Vit: return kVit;
    case TransformersModel::Dinov2: return kDinov2;
    case TransformersModel::ClipVision: return kClip;
    }
    return kVit;
}

// The separate attention projections, fused into timm's qkv (rows q | k | v).
const std::regex &qkvPattern(TransformersModel model)
{
    static const std::regex kEncoder(
        R"(^encoder\.layer\.(\d+)\.attention\.attention\.(query|key|value)\.(weight|bias)$)");
    static const std::regex kClip(R"(^encoder\.layers\.(\d+)\.self_attn\.(q|k|v)_proj\.(weight|bias)$)");
    return model == TransformersModel::ClipVision ? kClip : kEncoder;
}

int qkvIndex(const std::string &part) { return part[0] == 'q' ? 0 : part[0] == 'k' ? 1 : 2; }

bool hasKeyEnding(const TensorMap &t, const std::string &suffix, std::string &prefix)
{
    for (const auto &[name, _] : t)
        if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            prefix = name.substr(0, name.size() - suffix.size());
            return true;
        }
    return false;
}

} // namespace

std::optional<TransformersLayout> detectTransformersLayout(const TensorMap &tensors)
{
    TransformersLayout layout;
    if (hasKeyEnding(tensors, "embeddings.patch_embedding.weight", layout.prefix) &&
        hasKeyEnding(tensors, "embeddings.class_embedding", layout.prefix)) {
        layout.model = TransformersModel::ClipVision;
        layout.className = "CLIPVisionModel";
        return layout;
    }
    if (!hasKeyEnding(tensors, "embeddings.patch_embeddings.projection.weight", layout.prefix))
        return std::nullopt;
    std::string ignored;
    const bool dinov2 = hasKeyEnding(tensors, ".layer_scale1.lambda1", ignored) ||
                        hasKeyEnding(tensors, "embeddings.register_tokens", ignored) ||
                        tensors.count(layout.prefix + "encoder.layer.0.norm1.weight") > 0;
    layout.model = dinov2 ? TransformersModel::Dinov2 : TransformersModel::Vit;
    // The class whose module names the file's are: a classification model keeps its backbone
    // under "vit." or "dinov2.", and PEFT names its adapters accordingly.
    if (dinov2)
        layout.className = hasKeyEnding(tensors, "embeddings.register_tokens", ignored) ? "Dinov2WithRegistersModel"
                           : layout.prefix == "dinov2."                                 ? "Dinov2ForImageClassification"
                                                                                        : "Dinov2Model";
    else
        layout.className = layout.prefix == "vit." ? "ViTForImageClassification" : "ViTModel";
    return layout;
}

void mapTransformersToTimm(TensorMap &tensors, const TransformersLayout &layout, std::vector<std::string> &notes,
                           MissingProjection missing)
{
    TensorMap mapped;
    std::map<std::string, std::array<torch::Tensor, 3>> qkv; // timm name -> q, k, v
    int dropped = 0, otherTower = 0;
    for (auto &[name, tensor] : tensors) {
        if (layout.model == TransformersModel::ClipVision && name == "visual_projection.weight") {
            // CLIPVisionModelWithProjection's projection to the joint space: timm's head, whose
            // bias timm's conversion sets to zero.
            mapped.emplace("head.bias", torch::zeros({tensor.size(0)}, tensor.options()));
            mapped.emplace("head.weight", tensor);
            continue;
        }
        if (name.rfind("classifier.", 0) == 0 && !layout.prefix.empty()) { // beside the prefixed model
            if (layout.model == TransformersModel::Vit)
                mapped.emplace("head." + name.substr(11), tensor); // ViTForImageClassification's head
            else
                ++dropped; // DINOv2's reads [class token, mean patch]: not a head of these features
            continue;
        }
        if (name.rfind(layout.prefix, 0) != 0) {
            ++otherTower; // a CLIPModel's text tower, logit_scale, a classifier outside the prefix
            continue;
        }
        const auto local = name.substr(layout.prefix.size());
        std::smatch m;
        if (std::regex_match(local, m, qkvPattern(layout.model))) {
            qkv["blocks." + m[1].str() + ".attn.qkv." + m[3].str()][static_cast<std::size_t>(qkvIndex(m[2].str()))] =
                tensor;
            continue;
        }
        bool known = false;
        for (const auto &rule : rules(layout.model)) {
            if (!std::regex_search(local, rule.pattern))
                continue;
            known = true;
            if (rule.timm.empty())
                ++dropped;
            else
                mapped.emplace(std::regex_replace(local, rule.pattern, rule.timm), tensor);
            break;
        }
        if (!known)
            mapped.emplace(name, tensor); // refused by name when the model is loaded strictly
    }
    for (auto &[name, parts] : qkv) {
        const auto present = std::find_if(parts.begin(), parts.end(), [](const auto &t) { return t.defined(); });
        for (auto &part : parts) {
            if (part.defined())
                continue;
            if (missing == MissingProjection::Refuse)
                throw InputError("transformers checkpoint: " + name + " lacks one of its query, key and value tensors");
            part = missing == MissingProjection::Zeros ? torch::zeros_like(*present) : present->clone();
        }
        mapped.emplace(name, torch::cat({parts[0], parts[1], parts[2]}, 0));
    }
    // CLIP keeps its class and position embeddings without the batch axis timm has.
    if (auto it = mapped.find("cls_token"); it != mapped.end() && it->second.dim() == 1)
        it->second = it->second.reshape({1, 1, -1});
    if (auto it = mapped.find("pos_embed"); it != mapped.end() && it->second.dim() == 2)
        it->second = it->second.unsqueeze(0);
    // DINOv2 with registers: transformers adds the class position before inserting registers, as
    // Meta's release does; timm moves it into the class token.
    if (mapped.count("reg_token")) {
        auto &cls = mapped.at("cls_token");
        auto &pos = mapped.at("pos_embed");
        if (cls.dim() == 3 && pos.dim() == 3 && pos.size(1) > 1 && cls.size(2) == pos.size(2)) {
            cls = cls + pos.narrow(1, 0, 1);
            pos = pos.narrow(1, 1, pos.size(1) - 1).contiguous();
        }
    }
    tensors = std::move(mapped);
    notes.push_back("transformers " + layout.className +
                    " names mapped to timm's (query, key and value fused into "
                    "qkv)");
    if (dropped > 0)
        notes.push_back(std::to_string(dropped) +
                        " tensor(s) no timm ViT uses dropped (a pooler, mask token, position ids or "
                        "DINOv2's classifier)");
    if (otherTower > 0)
        notes.push_back(std::to_string(otherTower) +
                        " tensor(s) outside the vision model ignored (e.g. CLIP's text tower)");
}

void applyTransformersConfig(ArchSpec &spec, const TransformersLayout &layout, const nlohmann::json *config,
                             const nlohmann::json *preprocessor, std::vector<std::string> &notes)
{
    auto &v = spec.vit;
    auto &p = spec.preprocessing;
    // transformers' defaults for each model class.
    switch (layout.model) {
    case TransformersModel::Vit:
        v.eps = 1e-12;
        p.mean = {0.5, 0.5, 0.5};
        p.std = {0.5, 0.5, 0.5};
        p.interpolation = Interpolation::Bilinear;
        p.cropPct = 1.0;
        break;
    case TransformersModel::Dinov2:
        v.eps = 1e-6;
        p.mean = {0.485, 0.456, 0.406};
        p.std = {0.229, 0.224, 0.225};
        p.interpolation = Interpolation::Bicubic;
        p.cropPct = 224.0 / 256.0;
        break;
    case TransformersModel::ClipVision:
        v.eps = 1e-5;
        v.activation = VitActivation::QuickGelu;
        p.mean = {0.48145466, 0.4578275, 0.40821073};
        p.std = {0.26862954, 0.26130258, 0.27577711};
        p.interpolation = Interpolation::Bicubic;
        p.cropPct = 1.0;
        break;
    }
    const auto json = [](const nlohmann::json *j, const char *key) -> const nlohmann::json * {
        if (!j || !j->is_object())
            return nullptr;
        const auto it = j->find(key);
        return it == j->end() || it->is_null() ? nullptr : &*it;
    };
    try {
        // A CLIPModel's config nests the vision tower's settings.
        const auto *vision = json(config, "vision_config") ? json(config, "vision_config") : config;
        if (const auto *heads = json(vision, "num_attention_heads")) {
            if (!heads->is_number_integer() || heads->get<std::int64_t>() < 1 || heads->get<std::int64_t>() > v.dim)
                throw InputError("config.json: num_attention_heads must be a whole number from 1 to the width " +
                                 std::to_string(v.dim) + ", got " + heads->dump());
            v.heads = heads->get<int>();
        }
        if (const auto *eps = json(vision, "layer_norm_eps")) {
            if (!eps->is_number())
                throw InputError("config.json: layer_norm_eps must be a number, got " + eps->dump());
            v.eps = eps->get<double>();
        }
        if (const auto *act = json(vision, "hidden_act")) {
            const auto name = act->get<std::string>();
            if (name == "quick_gelu")
                v.activation = VitActivation::QuickGelu;
            else if (name == "gelu")
                v.activation = VitActivation::Gelu;
            else
                throw InputError("config.json: hidden_act '" + name + "' is not supported (gelu, quick_gelu)");
        }
        if (const auto *mean = json(preprocessor, "image_mean"))
            p.mean = mean->get<std::array<double, 3>>();
        if (const auto *std = json(preprocessor, "image_std"))
            p.std = std->get<std::array<double, 3>>();
        if (const auto *resample = json(preprocessor, "resample"))
            p.interpolation = resample->get<int>() == 3   ? Interpolation::Bicubic
                              : resample->get<int>() == 0 ? Interpolation::Nearest
                                                          : Interpolation::Bilinear;
        const auto *crop = json(preprocessor, "crop_size");
        const auto *size = json(preprocessor, "size");
        const auto side = [](const nlohmann::json *j) -> int {
            if (!j)
                return 0;
            if (j->is_number())
                return j->get<int>();
            for (const char *key : {"shortest_edge", "height"})
                if (j->contains(key))
                    return (*j)[key].get<int>();
            return 0;
        };
        const bool centreCrop = !json(preprocessor, "do_center_crop") ||
                                json(preprocessor, "do_center_crop")->get<bool>();
        if (side(size) > 0 && side(crop) > 0 && centreCrop)
            p.cropPct = static_cast<double>(side(crop)) / side(size);
        else if (side(size) > 0)
            p.cropPct = 1.0; // resized to the input size itself
    } catch (const nlohmann::json::exception &e) {
        throw InputError(std::string("config.json or preprocessor_config.json has an unexpected value: ") + e.what());
    }
    if (v.dim % v.heads != 0)
        throw InputError("config.json: num_attention_heads " + std::to_string(v.heads) + " does not divide the width " +
                         std::to_string(v.dim));
    notes.push_back(std::string("heads, eps, activation and preprocessing from ") +
                    (config ? "config.json" : "transformers' defaults (no config.json beside the weights)") +
                    (preprocessor ? " and preprocessor_config.json" : ""));
}

std::optional<TransformersModel> transformersModelOfClass(const std::string &className)
{
    if (className == "ViTModel" || className == "ViTForImageClassification")
        return TransformersModel::Vit;
    if (className.rfind("Dinov2", 0) == 0)
        return TransformersModel::Dinov2;
    if (className.rfind("CLIP", 0) == 0)
        return TransformersModel::ClipVision;
    return std::nullopt;
}

TensorMap transformersLoraToTimm(const TensorMap &peft, TransformersModel model)
{
    const std::string head = "base_model.model.";
    TensorMap a, b;
    std::string prefix;
    for (const auto &[name, tensor] : peft) {
        const auto which = name.find(".lora_A.weight") != std::string::npos   ? 'A'
                           : name.find(".lora_B.weight") != std::string::npos ? 'B'
                                                                              : '?';
        if (which == '?' || name.rfind(head, 0) != 0)
            throw InputError("adapter tensor '" + name + "' is not a PEFT LoRA weight");
        const auto module = name.substr(head.size(), name.size() - head.size() - 14); // ".lora_X.weight"
        if (const auto at = module.find("encoder."); at != std::string::npos)
            prefix = module.substr(0, at);
        (which == 'A' ? a : b).emplace(module + ".weight", tensor);
    }
    TransformersLayout layout;
    layout.model = model;
    layout.prefix = prefix;
    std::vector<std::string> notes;
    mapTransformersToTimm(a, layout, notes, MissingProjection::CopyOfAnother);
    mapTransformersToTimm(b, layout, notes, MissingProjection::Zeros);
    TensorMap out;
    for (auto &[name, tensor] : a) {
        const auto module = name.substr(0, name.size() - 7); // ".weight"
        auto shared = tensor;
        if (module.size() > 4 && module.compare(module.size() - 4, 4, ".qkv") == 0) {
            // q, k and v stacked: one A written three times, or LoRAs that were trained apart.
            const auto rank = tensor.size(0) / 3;
            shared = tensor.narrow(0, 0, rank);
            if (!torch::equal(shared, tensor.narrow(0, rank, rank)) ||
                !torch::equal(shared, tensor.narrow(0, 2 * rank, rank)))
                throw InputError("the adapter's query, key and value LoRAs of " + module +
                                 " have different lora_A: separate LoRAs per projection are not read yet");
        }
        out.emplace(head + module + ".lora_A.weight", shared.contiguous());
        if (!b.count(name))
            throw InputError("the adapter has no lora_B for " + module);
        out.emplace(head + module + ".lora_B.weight", b.at(name).contiguous());
    }
    return out;
}

} // namespace upstep::core
