#include "models/backboneloader.h"

#include "models/convnext.h"

#include "upstep/common/error.h"
#include "common/jsonfile.h"
#include "io/weightsfile.h"
#include "models/resnet.h"
#include "models/vit.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <regex>
#include <set>

namespace upstep::core {

namespace {

const torch::Tensor *findTensor(const TensorMap &t, const std::string &name)
{
    const auto it = t.find(name);
    return it == t.end() ? nullptr : &it->second;
}

const torch::Tensor &requireTensor(const TensorMap &t, const std::string &name, const std::filesystem::path &file,
                                   std::int64_t rank)
{
    const auto *p = findTensor(t, name);
    if (!p)
        throw FormatError(file, "tensor '" + name + "' is missing");
    if (p->dim() != rank)
        throw FormatError(file, "tensor '" + name + "' has shape " + c10::str(p->sizes()) + ", expected rank " +
                                    std::to_string(rank));
    return *p;
}

// Largest N such that prefix + N + "." starts some key, plus one.
int countIndexed(const TensorMap &t, const std::string &prefix)
{
    int count = 0;
    for (const auto &[name, _] : t) {
        if (name.rfind(prefix, 0) != 0)
            continue;
        const auto rest = name.substr(prefix.size());
        const auto dot = rest.find('.');
        try {
            count = std::max(count, std::stoi(rest.substr(0, dot)) + 1);
        } catch (const std::exception &) {
        }
    }
    return count;
}

// Bounds-checks a spec read from a file (its shapes, metadata or config) and names it, as
// --arch values are checked; a bad value is the file's fault, so a FormatError naming it.
void checkDetected(ArchSpec &spec, const std::filesystem::path &file)
{
    try {
        applyArchOverrides(spec, {}); // no overrides: only the checks and the canonical name
    } catch (const InputError &e) {
        throw FormatError(file, e.what());
    }
}

// What timm's pretrained configs give each family, guessed from the shape (the file does not
// say; --arch mean=, std=, crop_pct=, interpolation= override it): CLIP towers (norm_pre) OpenAI's
// statistics, LayerScale models (DINOv2, DeiT-III) and average-pooled ones (MAE, BEiT) ImageNet's,
// plain ViTs timm's augreg 0.5 / 0.5. All bicubic; DINOv2 (patch 14) without a crop.
Preprocessing timmVitPreprocessing(const ArchSpec &s)
{
    Preprocessing p;
    p.inputSize = s.vit.imgSize;
    p.channels = s.inChans;
    p.interpolation = Interpolation::Bicubic;
    p.cropPct = 0.9;
    if (s.vit.normPre) {
        p.mean = {0.48145466, 0.4578275, 0.40821073};
        p.std = {0.26862954, 0.26130258, 0.27577711};
    } else if (s.vit.pool == VitPool::Map) { // SigLIP
        p.mean = {0.5, 0.5, 0.5};
        p.std = {0.5, 0.5, 0.5};
    } else if (s.vit.layerScale || s.vit.pool == VitPool::Avg) {
        if (s.vit.patch == 14)
            p.cropPct = 1.0;
    } else {
        p.mean = {0.5, 0.5, 0.5};
        p.std = {0.5, 0.5, 0.5};
    }
    return p;
}

ArchSpec detectVit(const TensorMap &t, const std::filesystem::path &file, bool torchvisionLayout, bool &headsGuessed)
{
    ArchSpec s;
    s.family = ArchFamily::Vit;
    const auto &patch = requireTensor(t, "patch_embed.proj.weight", file, 4);
    const auto &pos = requireTensor(t, "pos_embed", file, 3);
    s.inChans = static_cast<int>(patch.size(1));
    s.vit.dim = static_cast<int>(patch.size(0));
    s.vit.patch = static_cast<int>(patch.size(2));
    s.vit.depth = countIndexed(t, "blocks.");
    if (s.vit.depth == 0)
        throw FormatError(file, "ViT weights without blocks.N tensors");
    s.vit.mlpDim = static_cast<int>(requireTensor(t, "blocks.0.mlp.fc1.weight", file, 2).size(0));
    // SwiGLU (DINOv2 giant): fc1 packs value and gate, so fc2 takes half of fc1's outputs.
    s.vit.swiglu = requireTensor(t, "blocks.0.mlp.fc2.weight", file, 2).size(1) * 2 == s.vit.mlpDim;
    s.vit.classToken = findTensor(t, "cls_token") != nullptr;
    // The variations timm's files show by their tensors (see VitShape).
    if (t.count("reg_token"))
        s.vit.regTokens = static_cast<int>(requireTensor(t, "reg_token", file, 3).size(1));
    s.vit.layerScale = findTensor(t, "blocks.0.ls1.gamma") != nullptr;
    s.vit.normPre = findTensor(t, "norm_pre.weight") != nullptr;
    s.vit.qkvBias = findTensor(t, "blocks.0.attn.qkv.bias") != nullptr;
    s.vit.pool = findTensor(t, "fc_norm.weight")     ? VitPool::Avg
                 : findTensor(t, "attn_pool.latent") ? VitPool::Map
                                                     : VitPool::Token;
    if (!s.vit.classToken && s.vit.pool == VitPool::Token)
        throw FormatError(file, "a ViT without class token that pools by averaging after the final norm (timm's "
                                "*_gap_* models: no cls_token, no fc_norm, no attn_pool) is not supported yet");
    s.vit.eps = s.vit.normPre ? 1e-5 : 1e-6; // CLIP towers use torch's default LayerNorm
    // pos_embed holds the patches' grid, after the class and register tokens' entries unless
    // the file is of the kind (DeiT-III, DINOv2 with registers) that gives them no position.
    const auto squareSide = [](std::int64_t n) {
        const auto side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(std::max<std::int64_t>(n, 0)))));
        return n >= 1 && static_cast<std::int64_t>(side) * side == n ? side : 0;
    };
    int grid = squareSide(pos.size(1) - s.vit.prefixTokens());
    if (grid == 0) {
        grid = squareSide(pos.size(1));
        s.vit.noEmbedClass = true;
    }
    if (grid == 0)
        throw FormatError(file, "pos_embed has " + std::to_string(pos.size(1)) + " positions: neither " +
                                    std::to_string(s.vit.prefixTokens()) +
                                    " prefix token(s) plus a square grid nor a square grid");
    s.vit.imgSize = grid * s.vit.patch;
    // Shapes do not give the head count: a known model's, else timm's convention of 64 channels
    // per head.
    s.vit.heads = presetVitHeads(s);
    headsGuessed = s.vit.heads == 0;
    if (headsGuessed)
        s.vit.heads = std::max(1, s.vit.dim / 64);
    if (s.vit.dim % s.vit.heads != 0)
        s.vit.heads = 1;
    if (const auto *head = findTensor(t, "head.weight"))
        s.numClasses = static_cast<int>(head->size(0));
    s.preprocessing.inputSize = s.vit.imgSize;
    s.preprocessing.channels = s.inChans;
    if (!torchvisionLayout)
        s.preprocessing = timmVitPreprocessing(s);
    return s;
}

ArchSpec detectResNet(const TensorMap &t, const std::filesystem::path &file)
{
    ArchSpec s;
    s.family = ArchFamily::ResNet;
    s.inChans = static_cast<int>(requireTensor(t, "conv1.weight", file, 4).size(1));
    s.resnet.bottleneck = findTensor(t, "layer1.0.conv3.weight") != nullptr;
    for (int i = 0; i < 4; ++i) {
        s.resnet.layers[static_cast<std::size_t>(i)] = countIndexed(t, "layer" + std::to_string(i + 1) + ".");
        if (s.resnet.layers[static_cast<std::size_t>(i)] == 0)
            throw FormatError(file, "ResNet weights without layer" + std::to_string(i + 1) + " blocks");
    }
    if (s.resnet.bottleneck)
        s.resnet.widthPerGroup = static_cast<int>(requireTensor(t, "layer1.0.conv1.weight", file, 4).size(0));
    if (const auto *fc = findTensor(t, "fc.weight"))
        s.numClasses = static_cast<int>(fc->size(0));
    s.preprocessing.channels = s.inChans;
    return s;
}

ArchSpec detectConvNext(const TensorMap &t, const std::filesystem::path &file, bool torchvisionLayout)
{
    ArchSpec s;
    s.family = ArchFamily::ConvNext;
    s.inChans = static_cast<int>(requireTensor(t, "stem.0.weight", file, 4).size(1));
    if (findTensor(t, "stages.0.blocks.0.mlp.grn.weight") || findTensor(t, "stages.0.blocks.0.mlp.grn.gamma"))
        throw FormatError(file, "ConvNeXt V2 (global response normalisation, mlp.grn) is not supported yet; "
                                "ConvNeXt V1 weights (timm's convnext_*) are");
    for (std::size_t i = 0; i < 4; ++i) {
        const auto prefix = "stages." + std::to_string(i) + ".blocks.";
        s.convnext.depths[i] = countIndexed(t, prefix);
        if (s.convnext.depths[i] == 0)
            throw FormatError(file, "ConvNeXt weights without " + prefix + "N tensors");
        s.convnext.dims[i] = static_cast<int>(requireTensor(t, prefix + "0.conv_dw.weight", file, 4).size(0));
        const auto *fc1 = findTensor(t, prefix + "0.mlp.fc1.weight");
        if (fc1 && fc1->dim() == 4)
            throw FormatError(file, "ConvNeXt with 1x1-convolution MLPs (conv_mlp: atto to nano) is not supported; "
                                    "tiny, small, base and large are");
    }
    if (const auto *fc = findTensor(t, "head.fc.weight"))
        s.numClasses = static_cast<int>(fc->size(0));
    // timm's convnext_* configs: bicubic, crop 0.875; torchvision's weights: bilinear, 236 -> 224.
    s.preprocessing.interpolation = torchvisionLayout ? Interpolation::Bilinear : Interpolation::Bicubic;
    s.preprocessing.cropPct = torchvisionLayout ? 224.0 / 236.0 : 0.875;
    s.preprocessing.channels = s.inChans;
    return s;
}

bool looksLikeTorchvisionVit(const TensorMap &t)
{
    return t.count("conv_proj.weight") || t.count("encoder.pos_embedding") || t.count("class_token");
}

} // namespace

bool mapOriginalDinov2Keys(TensorMap &tensors)
{
    // Meta's own DINOv2 files (torch.hub, the .pth timm converts) hold a mask token for the
    // masked-image objective, and registers as "register_tokens" with the class token's position
    // inside pos_embed; timm's layout gives the class token no position instead. Same model.
    const bool registers = tensors.count("register_tokens") > 0;
    if (!tensors.count("mask_token") && !registers)
        return false;
    tensors.erase("mask_token");
    if (registers) {
        auto reg = tensors.extract("register_tokens");
        reg.key() = "reg_token";
        tensors.insert(std::move(reg));
        const auto cls = tensors.find("cls_token"), pos = tensors.find("pos_embed");
        if (cls != tensors.end() && pos != tensors.end() && pos->second.dim() == 3 && pos->second.size(1) > 1 &&
            cls->second.dim() == 3 && cls->second.size(2) == pos->second.size(2)) {
            cls->second = cls->second + pos->second.narrow(1, 0, 1);
            pos->second = pos->second.narrow(1, 1, pos->second.size(1) - 1).contiguous();
        }
    }
    return true;
}

bool mapTorchvisionVitKeys(TensorMap &tensors)
{
    if (!looksLikeTorchvisionVit(tensors))
        return false;
    static const std::vector<std::pair<std::regex, std::string>> kRules = {
        {std::regex(R"(^class_token$)"), "cls_token"},
        {std::regex(R"(^conv_proj\.)"), "patch_embed.proj."},
        {std::regex(R"(^encoder\.pos_embedding$)"), "pos_embed"},
        {std::regex(R"(^encoder\.ln\.)"), "norm."},
        {std::regex(R"(^heads\.head\.)"), "head."},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.ln_1\.)"), "blocks.$1.norm1."},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.ln_2\.)"), "blocks.$1.norm2."},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_weight$)"),
         "blocks.$1.attn.qkv.weight"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_bias$)"),
         "blocks.$1.attn.qkv.bias"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.out_proj\.)"), "blocks.$1.attn.proj."},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.mlp\.(0|linear_1)\.)"), "blocks.$1.mlp.fc1."},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.mlp\.(3|linear_2)\.)"), "blocks.$1.mlp.fc2."},
    };
    TensorMap mapped;
    for (auto &[name, tensor] : tensors) {
        std::string key = name;
        for (const auto &[pattern, replacement] : kRules) {
            if (std::regex_search(name, pattern)) {
                key = std::regex_replace(name, pattern, replacement, std::regex_constants::format_first_only);
                break;
            }
        }
        mapped.emplace(key, tensor);
    }
    tensors = std::move(mapped);
    return true;
}

bool mapTorchvisionConvNextKeys(TensorMap &tensors)
{
    if (!tensors.count("features.0.0.weight") || !tensors.count("features.1.0.block.0.weight"))
        return false;
    static const std::regex kFeature(R"(^features\.(\d+)\.(\d+)\.(.*)$)");
    static const std::map<std::string, std::string> kBlockParts = {{"block.0.", "conv_dw."},
                                                                   {"block.2.", "norm."},
                                                                   {"block.3.", "mlp.fc1."},
                                                                   {"block.5.", "mlp.fc2."}};
    TensorMap mapped;
    for (auto &[name, tensor] : tensors) {
        std::string key = name;
        std::smatch m;
        if (std::regex_match(name, m, kFeature)) {
            const int index = std::stoi(m[1].str());
            const auto inner = m[2].str(), rest = m[3].str();
            if (index == 0) { // stem: the 4x4 convolution and its LayerNorm
                key = "stem." + inner + "." + rest;
            } else if (index % 2 == 0) { // between stages: LayerNorm, 2x2 convolution
                key = "stages." + std::to_string(index / 2) + ".downsample." + inner + "." + rest;
            } else { // a stage of CNBlocks
                const auto block = "stages." + std::to_string(index / 2) + ".blocks." + inner + ".";
                if (rest == "layer_scale") {
                    key = block + "gamma";
                    tensor = tensor.reshape({-1});
                }
                for (const auto &[from, to] : kBlockParts)
                    if (rest.rfind(from, 0) == 0)
                        key = block + to + rest.substr(from.size());
            }
        } else if (name.rfind("classifier.0.", 0) == 0) {
            key = "head.norm." + name.substr(13);
        } else if (name.rfind("classifier.2.", 0) == 0) {
            key = "head.fc." + name.substr(13);
        }
        mapped.emplace(key, tensor);
    }
    tensors = std::move(mapped);
    return true;
}

DetectedArch detectArch(const TensorMap &tensors, const Metadata &metadata, const std::filesystem::path &file,
                        bool torchvisionNames)
{
    DetectedArch out;
    out.layout = torchvisionNames ? "torchvision" : "timm";
    if (const auto it = metadata.find(kArchMetadataKey); it != metadata.end()) {
        try {
            out.spec = archSpecFromJson(it->second);
        } catch (const InputError &e) {
            throw FormatError(file, e.what());
        }
        out.source = "metadata";
        return out;
    }
    out.source = "shapes";
    if (tensors.count("cls_token") || tensors.count("patch_embed.proj.weight")) {
        out.spec = detectVit(tensors, file, torchvisionNames, out.headsGuessed);
    } else if (tensors.count("stem.0.weight") && tensors.count("stages.0.blocks.0.conv_dw.weight")) {
        out.spec = detectConvNext(tensors, file, torchvisionNames);
    } else if (tensors.count("conv1.weight") && tensors.count("layer1.0.conv1.weight")) {
        out.spec = detectResNet(tensors, file);
        out.layout = "torchvision";
    } else {
        throw FormatError(file, "not a supported model: expected a ViT (timm, torchvision or Hugging Face names), "
                                "a ResNet (torchvision/timm names) or a ConvNeXt (timm names); found " +
                                    std::to_string(tensors.size()) + " tensors" +
                                    (tensors.empty() ? "" : ", the first named '" + tensors.begin()->first + "'"));
    }
    checkDetected(out.spec, file);
    return out;
}

BackbonePtr createBackbone(const ArchSpec &spec)
{
    switch (spec.family) {
    case ArchFamily::Vit: return std::make_shared<VisionTransformerImpl>(spec);
    case ArchFamily::ConvNext: return std::make_shared<ConvNextImpl>(spec);
    case ArchFamily::ResNet: break;
    }
    return std::make_shared<ResNetImpl>(spec);
}

void loadStateStrict(torch::nn::Module &model, const TensorMap &tensors, const std::filesystem::path &file)
{
    torch::NoGradGuard noGrad;
    std::set<std::string> used;
    std::vector<std::string> missing;
    auto copyInto = [&](const std::string &name, torch::Tensor &target) {
        if (name.find("lora_") != std::string::npos)
            return;
        const auto *src = findTensor(tensors, name);
        if (!src) {
            missing.push_back(name);
            return;
        }
        if (src->sizes() != target.sizes())
            throw FormatError(file, "tensor '" + name + "' has shape " + c10::str(src->sizes()) +
                                        " but the architecture needs " + c10::str(target.sizes()));
        target.copy_(*src);
        used.insert(name);
    };
    for (auto &item : model.named_parameters(true))
        copyInto(item.key(), item.value());
    for (auto &item : model.named_buffers(true))
        copyInto(item.key(), item.value());
    if (!missing.empty())
        throw FormatError(file, std::to_string(missing.size()) + " tensors the architecture needs are missing, e.g. '" +
                                    missing.front() + "'");
    std::vector<std::string> unexpected;
    for (const auto &[name, _] : tensors)
        if (!used.count(name))
            unexpected.push_back(name);
    if (!unexpected.empty())
        throw FormatError(file, std::to_string(unexpected.size()) +
                                    " tensors do not belong to the detected architecture, e.g. '" + unexpected.front() +
                                    "' (wrong --arch?)");
}

WeightsLayout mapWeightsToTimm(TensorMap &tensors, std::vector<std::string> &notes)
{
    WeightsLayout layout;
    if (mapOriginalDinov2Keys(tensors))
        notes.push_back("Meta's DINOv2 names mapped to timm's (mask_token dropped)");
    layout.torchvision = mapTorchvisionVitKeys(tensors);
    if (layout.torchvision)
        notes.push_back("torchvision ViT names mapped to timm's");
    if (mapTorchvisionConvNextKeys(tensors)) {
        layout.torchvision = true;
        notes.push_back("torchvision ConvNeXt names mapped to timm's");
    }
    layout.transformers = detectTransformersLayout(tensors);
    if (layout.transformers)
        mapTransformersToTimm(tensors, *layout.transformers, notes);
    return layout;
}

namespace {

// timm's hub folders hold a config.json beside model.safetensors: the model's name (whose
// "_quickgelu" says what the tensors cannot) and its pretrained_cfg, the preprocessing timm uses.
// Returns false for a config.json of another kind.
bool applyTimmConfig(ArchSpec &spec, const nlohmann::json &config, const std::filesystem::path &file,
                     std::vector<std::string> &notes)
{
    if (!config.is_object() || !config.contains("architecture") || !config.contains("pretrained_cfg"))
        return false;
    try {
        const auto architecture = config.at("architecture").get<std::string>();
        if (spec.family == ArchFamily::Vit && architecture.find("quickgelu") != std::string::npos)
            spec.vit.activation = VitActivation::QuickGelu;
        // The model's name gives what the shapes cannot: the head count of a known preset.
        try {
            const auto preset = parseArchSpec(architecture.substr(0, architecture.find('.')));
            if (preset.family == ArchFamily::Vit && spec.family == ArchFamily::Vit && preset.vit.dim == spec.vit.dim)
                spec.vit.heads = preset.vit.heads;
        } catch (const InputError &) { // a model upstep has no preset for
        }
        const auto &cfg = config.at("pretrained_cfg");
        auto &p = spec.preprocessing;
        if (cfg.contains("mean") && cfg["mean"].size() == 3)
            p.mean = cfg["mean"].get<std::array<double, 3>>();
        if (cfg.contains("std") && cfg["std"].size() == 3)
            p.std = cfg["std"].get<std::array<double, 3>>();
        if (cfg.contains("crop_pct") && cfg["crop_pct"].is_number())
            p.cropPct = cfg["crop_pct"].get<double>();
        if (cfg.contains("interpolation") && cfg["interpolation"].is_string())
            p.interpolation = cfg["interpolation"] == "bicubic"   ? Interpolation::Bicubic
                              : cfg["interpolation"] == "nearest" ? Interpolation::Nearest
                                                                  : Interpolation::Bilinear;
        notes.push_back("preprocessing" +
                        std::string(spec.vit.activation == VitActivation::QuickGelu ? " and QuickGELU" : "") +
                        " from timm's config.json (" + architecture + ")");
    } catch (const nlohmann::json::exception &e) {
        throw FormatError(file, std::string("timm's config.json has an unexpected value: ") + e.what());
    }
    checkDetected(spec, file);
    return true;
}

} // namespace

LoadedBackbone loadBackbone(const std::filesystem::path &path, const std::string &archOverride)
{
    LoadedBackbone out;
    const auto file = resolveWeightsFile(path); // a model folder gives its weights file
    auto contents = loadWeightsFile(file, torch::kFloat32, &out.notes);
    requireFinite(file, contents.tensors);
    out.tensorCount = contents.tensors.size();
    const auto layout = mapWeightsToTimm(contents.tensors, out.notes);
    out.transformers = layout.transformers;
    out.arch = detectArch(contents.tensors, contents.metadata, file, layout.torchvision);
    if (layout.transformers) {
        out.arch.layout = "transformers " + layout.transformers->className;
        if (out.arch.source == "shapes") {
            // A Hugging Face model folder's config files, beside the weights.
            const auto config = readJsonIfPresent(file.parent_path() / "config.json");
            const auto preprocessor = readJsonIfPresent(file.parent_path() / "preprocessor_config.json");
            try {
                applyTransformersConfig(out.arch.spec, *layout.transformers, config ? &*config : nullptr,
                                        preprocessor ? &*preprocessor : nullptr, out.notes);
            } catch (const InputError &e) {
                throw FormatError(file, e.what());
            }
            checkDetected(out.arch.spec, file);
        }
    }
    bool timmConfig = false;
    if (out.arch.source == "shapes" && !layout.transformers)
        if (const auto config = readJsonIfPresent(file.parent_path() / "config.json"))
            timmConfig = applyTimmConfig(out.arch.spec, *config, file.parent_path() / "config.json", out.notes);
    const auto &detected = out.arch.spec;
    if (out.arch.headsGuessed && !layout.transformers && !timmConfig && detected.family == ArchFamily::Vit &&
        archOverride.find("heads=") == std::string::npos)
        out.notes.push_back("heads taken as width / 64 = " + std::to_string(detected.vit.heads) +
                            " (the file does not say, and no known model has this shape); --arch heads= sets it");
    if (out.arch.source == "shapes" && !layout.transformers && !timmConfig && detected.family == ArchFamily::Vit &&
        detected.vit.normPre && archOverride.find("act=") == std::string::npos)
        out.notes.push_back("a CLIP image tower: GELU assumed (OpenCLIP); OpenAI's CLIP weights need --arch "
                            "act=quick_gelu");
    const bool preprocessingGiven = archOverride.find("mean=") != std::string::npos ||
                                    archOverride.find("std=") != std::string::npos;
    // torchvision's weights (and ResNets, whose statistics are torchvision's) come with one
    // preprocessing; timm's differ by family and pretraining.
    if (out.arch.source == "shapes" && !layout.transformers && !layout.torchvision && !timmConfig &&
        !preprocessingGiven && detected.family != ArchFamily::ResNet)
        out.notes.push_back("preprocessing guessed from the family (the file does not say); --arch mean=, std=, "
                            "crop_pct= set it");
    if (!archOverride.empty()) {
        const bool onlyOverrides = archOverride.find('=') != std::string::npos &&
                                   archOverride.find('=') < archOverride.find(',');
        if (onlyOverrides) {
            applyArchOverrides(out.arch.spec, archOverride);
        } else {
            const auto detected = out.arch.spec;
            out.arch.spec = parseArchSpec(archOverride);
            // The file decides what it holds: a head and the input channels.
            if (archOverride.find("num_classes=") == std::string::npos)
                out.arch.spec.numClasses = detected.numClasses;
        }
        out.arch.source = "--arch";
    }
    auto &spec = out.arch.spec;

    if (spec.family == ArchFamily::Vit) {
        if (auto it = contents.tensors.find("pos_embed"); it != contents.tensors.end()) {
            const int grid = spec.vit.imgSize / spec.vit.patch;
            const auto oldTokens = it->second.size(1);
            const int prefix = spec.vit.noEmbedClass ? 0 : spec.vit.prefixTokens();
            if (oldTokens != spec.vit.posEmbedLength(grid)) {
                it->second = resamplePosEmbed(it->second, grid, prefix);
                const auto oldGrid = std::lround(std::sqrt(static_cast<double>(oldTokens - prefix)));
                out.notes.push_back("pos_embed resized from " + std::to_string(oldGrid) + "x" + std::to_string(oldGrid) +
                                    " to " + std::to_string(grid) + "x" + std::to_string(grid) + " (bicubic)");
            }
        }
    }
    if (spec.numClasses == 0) { // a headless spec ignores a head present in the file
        for (const char *name : {"head.weight", "head.bias", "fc.weight", "fc.bias", "head.fc.weight", "head.fc.bias"})
            contents.tensors.erase(name);
    }
    out.model = createBackbone(spec);
    loadStateStrict(*out.model, contents.tensors, file);
    out.model->eval();
    return out;
}

TensorMap backboneTensors(torch::nn::Module &model)
{
    TensorMap out;
    auto add = [&](const std::string &name, const torch::Tensor &t) {
        if (name.find("lora_") == std::string::npos)
            out[name] = t.detach().to(torch::kCPU).contiguous();
    };
    for (const auto &item : model.named_parameters(true))
        add(item.key(), item.value());
    for (const auto &item : model.named_buffers(true))
        add(item.key(), item.value());
    return out;
}

void saveBackbone(BackboneImpl &model, const std::filesystem::path &file, Metadata extra)
{
    extra[kArchMetadataKey] = archSpecToJson(model.spec());
    extra.emplace("format", "pt");
    saveSafetensors(file, backboneTensors(model), extra);
}

} // namespace upstep::core
