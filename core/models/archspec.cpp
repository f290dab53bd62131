#include "upstep/models/archspec.h"

#include "models/archpresets.h"

#include "upstep/common/error.h"
#include "upstep/common/units.h"
#include "upstep/common/jsontext.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace upstep::core {

namespace {

int toInt(const std::string &key, const std::string &value)
{
    try {
        std::size_t used = 0;
        const int v = std::stoi(value, &used);
        if (used == value.size() && v >= 0)
            return v;
    } catch (const std::exception &) {
    }
    throw InputError("--arch: '" + key + "' needs a non-negative integer, got '" + value + "'");
}

bool toBool(const std::string &key, const std::string &value)
{
    if (value == "1" || value == "true" || value == "yes")
        return true;
    if (value == "0" || value == "false" || value == "no")
        return false;
    throw InputError("--arch: '" + key + "' needs 0 or 1, got '" + value + "'");
}

double toPositive(const std::string &key, const std::string &value)
{
    try {
        std::size_t used = 0;
        const double v = std::stod(value, &used);
        if (used == value.size() && v > 0 && std::isfinite(v))
            return v;
    } catch (const std::exception &) {
    }
    throw InputError("--arch: '" + key + "' needs a positive number, got '" + value + "'");
}

VitPool poolFromName(const std::string &name)
{
    if (name == "token")
        return VitPool::Token;
    if (name == "avg")
        return VitPool::Avg;
    if (name == "map")
        return VitPool::Map;
    throw InputError("pool must be token, avg or map, got '" + name + "'");
}

VitActivation activationFromName(const std::string &name)
{
    if (name == "gelu")
        return VitActivation::Gelu;
    if (name == "quick_gelu")
        return VitActivation::QuickGelu;
    throw InputError("act must be gelu or quick_gelu, got '" + name + "'");
}

std::array<double, 3> toTriple(const std::string &key, const std::string &value)
{
    std::array<double, 3> out{};
    std::stringstream ss(value);
    std::string part;
    int i = 0;
    while (std::getline(ss, part, '/')) {
        if (i == 3)
            break;
        try {
            out[static_cast<std::size_t>(i)] = std::stod(part);
        } catch (const std::exception &) {
            i = 4;
            break;
        }
        ++i;
    }
    if (i != 3)
        throw InputError("--arch: '" + key + "' needs three numbers separated by '/', got '" + value + "'");
    return out;
}

std::array<int, 4> toQuad(const std::string &key, const std::string &value)
{
    std::array<int, 4> out{};
    std::stringstream ss(value);
    std::string part;
    std::size_t i = 0;
    while (std::getline(ss, part, '/')) {
        if (i == 4 || part.empty())
            throw InputError("--arch: '" + key + "' needs four positive integers separated by '/', got '" + value +
                             "'");
        out[i++] = toInt(key, part);
    }
    if (i != 4)
        throw InputError("--arch: '" + key + "' needs four positive integers separated by '/', got '" + value + "'");
    return out;
}

Interpolation interpolationFromName(const std::string &name)
{
    if (name == "bilinear")
        return Interpolation::Bilinear;
    if (name == "bicubic")
        return Interpolation::Bicubic;
    if (name == "nearest")
        return Interpolation::Nearest;
    throw InputError("interpolation must be bilinear, bicubic or nearest, got '" + name + "'");
}

std::string familyName(ArchFamily family)
{
    switch (family) {
    case ArchFamily::Vit: return "vit";
    case ArchFamily::ResNet: return "resnet";
    case ArchFamily::ConvNext: return "convnext";
    }
    return "vit";
}

ArchFamily familyFromName(const std::string &name)
{
    if (name == "vit")
        return ArchFamily::Vit;
    if (name == "resnet")
        return ArchFamily::ResNet;
    if (name == "convnext")
        return ArchFamily::ConvNext;
    throw InputError("unknown model family '" + name + "' (known: vit, resnet, convnext)");
}

// Bounds that keep an absurd shape from being allocated: refused with the estimate instead.
constexpr double kMaxParameters = 4e9; // 16 GB in fp32, more than the largest ViT people adapt on one GPU
constexpr std::int64_t kMaxTokens = 65536;

void validate(const ArchSpec &s)
{
    for (std::size_t c = 0; c < 3; ++c) // images are divided by std: zero or negative gives NaN features
        if (!(s.preprocessing.std[c] > 0) || !std::isfinite(s.preprocessing.mean[c]) ||
            !std::isfinite(s.preprocessing.std[c]))
            throw InputError("preprocessing std must be positive and mean finite, got std " +
                             std::to_string(s.preprocessing.std[c]));
    if (!(s.preprocessing.cropPct > 0 && s.preprocessing.cropPct <= 1))
        throw InputError("crop_pct must lie in (0, 1], got " + std::to_string(s.preprocessing.cropPct));
    if (s.inChans < 1 || s.inChans > 64)
        throw InputError("in_chans must lie in [1, 64], got " + std::to_string(s.inChans));
    if (s.numClasses < 0 || s.numClasses > 1'000'000)
        throw InputError("num_classes must lie in [0, 1000000], got " + std::to_string(s.numClasses));
    if (s.family == ArchFamily::Vit) {
        const auto &v = s.vit;
        if (v.patch < 1 || v.imgSize < v.patch || v.imgSize % v.patch != 0)
            throw InputError("img_size " + std::to_string(v.imgSize) + " must be a positive multiple of patch " +
                             std::to_string(v.patch));
        if (v.dim < 1 || v.heads < 1 || v.dim % v.heads != 0)
            throw InputError("dim " + std::to_string(v.dim) + " must be divisible by heads " + std::to_string(v.heads));
        if (v.depth < 1 || v.mlpDim < 1)
            throw InputError("depth and mlp_dim must be positive");
        if (v.regTokens < 0 || v.regTokens > 256)
            throw InputError("reg_tokens must lie in [0, 256], got " + std::to_string(v.regTokens));
        if (!(v.eps > 0 && v.eps < 1))
            throw InputError("eps must lie in (0, 1)");
        if (!v.classToken && v.pool == VitPool::Token)
            throw InputError("pool=token needs a class token: without one (class_token=0) use pool=avg or map");
        if (v.swiglu && v.mlpDim % 2 != 0)
            throw InputError("a SwiGLU MLP needs an even mlp_dim (value and gate halves), got " +
                             std::to_string(v.mlpDim));
        const auto side = static_cast<std::int64_t>(v.imgSize / v.patch);
        if (side * side > kMaxTokens)
            throw InputError("img_size " + std::to_string(v.imgSize) + " with patch " + std::to_string(v.patch) +
                             " gives " + std::to_string(side * side) + " tokens per image, over the limit of " +
                             std::to_string(kMaxTokens));
        const double dim = v.dim, mlp = v.mlpDim;
        const double perBlock = 4 * dim * dim + 2 * dim * mlp + 9 * dim + mlp;
        const double params = v.depth * perBlock + double(v.patch) * v.patch * s.inChans * dim +
                              double(side * side + 1) * dim + dim * s.numClasses;
        if (params > kMaxParameters)
            throw InputError("this ViT shape (depth " + std::to_string(v.depth) + ", dim " + std::to_string(v.dim) +
                             ", mlp_dim " + std::to_string(v.mlpDim) + ") has about " +
                             std::to_string(static_cast<long long>(params / 1e6)) + " million parameters (" +
                             gigabytes(4 * params, 1) + " in fp32), over the limit of " +
                             std::to_string(static_cast<long long>(kMaxParameters / 1e6)) + " million");
    }
    if (s.family == ArchFamily::ConvNext) {
        if (s.preprocessing.inputSize < 32) // four downsamplings by 4, 2, 2, 2
            throw InputError("a ConvNeXt needs inputs of at least 32 px, got img_size " +
                             std::to_string(s.preprocessing.inputSize));
        double params = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            const double d = s.convnext.dims[i];
            if (s.convnext.depths[i] < 1 || s.convnext.dims[i] < 1 || s.convnext.dims[i] > 65536)
                throw InputError("ConvNeXt depths and dims must be positive (dims at most 65536)");
            params += s.convnext.depths[i] * (8 * d * d + 60 * d);
        }
        if (params > kMaxParameters)
            throw InputError("this ConvNeXt shape has about " + std::to_string(static_cast<long long>(params / 1e6)) +
                             " million parameters, over the limit of " +
                             std::to_string(static_cast<long long>(kMaxParameters / 1e6)) + " million");
    }
}

} // namespace

int Preprocessing::resizeSize() const
{
    return static_cast<int>(std::floor(inputSize / cropPct));
}

int ArchSpec::featureDim() const
{
    if (family == ArchFamily::Vit)
        return vit.dim;
    if (family == ArchFamily::ConvNext)
        return convnext.dims[3];
    return resnet.bottleneck ? 2048 : 512;
}

void applyArchOverrides(ArchSpec &spec, const std::string &overrides)
{
    std::stringstream ss(overrides);
    std::string item;
    bool vitShapeChanged = false;
    while (std::getline(ss, item, ',')) {
        if (item.empty())
            continue;
        const auto eq = item.find('=');
        if (eq == std::string::npos)
            throw InputError("--arch: expected key=value, got '" + item + "'");
        const auto key = item.substr(0, eq);
        const auto value = item.substr(eq + 1);
        auto &v = spec.vit;
        if (key == "img_size") {
            v.imgSize = toInt(key, value);
            spec.preprocessing.inputSize = v.imgSize;
        } else if (key == "patch") {
            v.patch = toInt(key, value);
        } else if (key == "depth") {
            v.depth = toInt(key, value);
        } else if (key == "dim") {
            v.dim = toInt(key, value);
            vitShapeChanged = true;
        } else if (key == "heads") {
            v.heads = toInt(key, value);
        } else if (key == "mlp_dim") {
            v.mlpDim = toInt(key, value);
        } else if (key == "class_token") {
            v.classToken = toBool(key, value);
        } else if (key == "swiglu") {
            v.swiglu = toBool(key, value);
        } else if (key == "depths") {
            spec.convnext.depths = toQuad(key, value);
        } else if (key == "dims") {
            spec.convnext.dims = toQuad(key, value);
        } else if (key == "reg_tokens") {
            v.regTokens = toInt(key, value);
        } else if (key == "no_embed_class") {
            v.noEmbedClass = toBool(key, value);
        } else if (key == "layer_scale") {
            v.layerScale = toBool(key, value);
        } else if (key == "norm_pre") {
            v.normPre = toBool(key, value);
        } else if (key == "qkv_bias") {
            v.qkvBias = toBool(key, value);
        } else if (key == "pool") {
            v.pool = poolFromName(value);
        } else if (key == "act") {
            v.activation = activationFromName(value);
        } else if (key == "eps") {
            v.eps = toPositive(key, value);
        } else if (key == "in_chans") {
            spec.inChans = toInt(key, value);
            spec.preprocessing.channels = spec.inChans;
        } else if (key == "num_classes") {
            spec.numClasses = toInt(key, value);
        } else if (key == "mean") {
            spec.preprocessing.mean = toTriple(key, value);
        } else if (key == "std") {
            spec.preprocessing.std = toTriple(key, value);
        } else if (key == "crop_pct") {
            try {
                spec.preprocessing.cropPct = std::stod(value);
            } catch (const std::exception &) {
                spec.preprocessing.cropPct = 0;
            }
            if (!(spec.preprocessing.cropPct > 0.0 && spec.preprocessing.cropPct <= 1.0))
                throw InputError("--arch: crop_pct must be in (0, 1], got '" + value + "'");
        } else if (key == "interpolation") {
            spec.preprocessing.interpolation = interpolationFromName(value);
        } else {
            throw InputError("--arch: unknown key '" + key +
                             "' (known: img_size patch depth dim heads mlp_dim class_token reg_tokens no_embed_class "
                             "layer_scale norm_pre qkv_bias pool swiglu act eps depths dims in_chans num_classes "
                             "mean std crop_pct interpolation)");
        }
    }
    // A new width without explicit heads or MLP follows timm's conventions.
    if (vitShapeChanged && overrides.find("heads=") == std::string::npos)
        spec.vit.heads = std::max(1, spec.vit.dim / 64);
    if (vitShapeChanged && overrides.find("mlp_dim=") == std::string::npos)
        spec.vit.mlpDim = spec.vit.dim * 4;
    validate(spec);
    spec.name = canonicalArchName(spec);
}

ArchSpec parseArchSpec(const std::string &text)
{
    const auto comma = text.find(',');
    const auto name = text.substr(0, comma);
    ArchSpec spec;
    if (const auto it = archPresets().find(name); it != archPresets().end()) {
        spec = it->second;
    } else if (name == "vit") {
        spec = archPresets().at("vit_small_patch16_224");
    } else if (name == "resnet") {
        spec = archPresets().at("resnet50");
    } else if (name == "convnext") {
        spec = archPresets().at("convnext_tiny");
    } else {
        throw InputError("unknown architecture '" + name + "' (known: " + archPresetList() + ")");
    }
    applyArchOverrides(spec, comma == std::string::npos ? std::string() : text.substr(comma + 1));
    return spec;
}

std::string canonicalArchName(const ArchSpec &spec)
{
    for (const auto &[name, preset] : archPresets()) {
        if (preset.family != spec.family || preset.inChans != spec.inChans)
            continue;
        if (spec.family == ArchFamily::Vit) {
            const auto &a = preset.vit;
            const auto &b = spec.vit;
            if (a.dim == b.dim && a.depth == b.depth && a.patch == b.patch && a.mlpDim == b.mlpDim &&
                a.heads == b.heads && a.imgSize == b.imgSize && a.regTokens == b.regTokens &&
                a.noEmbedClass == b.noEmbedClass && a.layerScale == b.layerScale && a.normPre == b.normPre &&
                a.qkvBias == b.qkvBias && a.pool == b.pool && a.activation == b.activation && a.eps == b.eps &&
                a.classToken == b.classToken && a.swiglu == b.swiglu)
                return name;
        } else if (spec.family == ArchFamily::ConvNext) {
            if (preset.convnext.depths == spec.convnext.depths && preset.convnext.dims == spec.convnext.dims)
                return name;
        } else if (preset.resnet.bottleneck == spec.resnet.bottleneck && preset.resnet.layers == spec.resnet.layers &&
                   preset.resnet.widthPerGroup == spec.resnet.widthPerGroup) {
            return name;
        }
    }
    if (spec.family == ArchFamily::Vit)
        return "vit_d" + std::to_string(spec.vit.dim) + "_l" + std::to_string(spec.vit.depth) + "_patch" +
               std::to_string(spec.vit.patch) + "_" + std::to_string(spec.vit.imgSize);
    const auto joined = [](const std::array<int, 4> &a) {
        return std::to_string(a[0]) + "-" + std::to_string(a[1]) + "-" + std::to_string(a[2]) + "-" +
               std::to_string(a[3]);
    };
    if (spec.family == ArchFamily::ConvNext)
        return "convnext_dims" + joined(spec.convnext.dims) + "_depths" + joined(spec.convnext.depths);
    const auto &l = spec.resnet.layers;
    return std::string("resnet_") + (spec.resnet.bottleneck ? "bottleneck_" : "basic_") + std::to_string(l[0]) + "-" +
           std::to_string(l[1]) + "-" + std::to_string(l[2]) + "-" + std::to_string(l[3]);
}

std::string interpolationName(Interpolation interpolation)
{
    switch (interpolation) {
    case Interpolation::Nearest: return "nearest";
    case Interpolation::Bilinear: return "bilinear";
    case Interpolation::Bicubic: return "bicubic";
    }
    return "bilinear";
}

std::string archSpecToJson(const ArchSpec &s)
{
    nlohmann::json j;
    j["family"] = familyName(s.family);
    j["name"] = s.name;
    j["in_chans"] = s.inChans;
    j["num_classes"] = s.numClasses;
    if (s.family == ArchFamily::Vit) {
        j["img_size"] = s.vit.imgSize;
        j["patch"] = s.vit.patch;
        j["depth"] = s.vit.depth;
        j["dim"] = s.vit.dim;
        j["heads"] = s.vit.heads;
        j["mlp_dim"] = s.vit.mlpDim;
        j["class_token"] = s.vit.classToken;
        j["reg_tokens"] = s.vit.regTokens;
        j["no_embed_class"] = s.vit.noEmbedClass;
        j["layer_scale"] = s.vit.layerScale;
        j["norm_pre"] = s.vit.normPre;
        j["qkv_bias"] = s.vit.qkvBias;
        j["pool"] = vitPoolName(s.vit.pool);
        j["act"] = vitActivationName(s.vit.activation);
        j["eps"] = s.vit.eps;
        j["swiglu"] = s.vit.swiglu;
    } else if (s.family == ArchFamily::ConvNext) {
        j["depths"] = s.convnext.depths;
        j["dims"] = s.convnext.dims;
    } else {
        j["block"] = s.resnet.bottleneck ? "bottleneck" : "basic";
        j["layers"] = s.resnet.layers;
        j["width_per_group"] = s.resnet.widthPerGroup;
    }
    const auto &p = s.preprocessing;
    j["preprocessing"] = {{"input_size", p.inputSize}, {"crop_pct", p.cropPct},
                          {"channels", p.channels},    {"mean", p.mean},
                          {"std", p.std},              {"interpolation", interpolationName(p.interpolation)}};
    return jsonText(j);
}

ArchSpec archSpecFromJson(const std::string &text)
{
    try {
        const auto j = nlohmann::json::parse(text);
        ArchSpec s;
        s.family = familyFromName(j.at("family").get<std::string>());
        s.name = j.value("name", "");
        s.inChans = j.at("in_chans").get<int>();
        s.numClasses = j.at("num_classes").get<int>();
        if (s.family == ArchFamily::Vit) {
            s.vit.imgSize = j.at("img_size").get<int>();
            s.vit.patch = j.at("patch").get<int>();
            s.vit.depth = j.at("depth").get<int>();
            s.vit.dim = j.at("dim").get<int>();
            s.vit.heads = j.at("heads").get<int>();
            s.vit.mlpDim = j.at("mlp_dim").get<int>();
            // Files written before these variants existed hold plain timm ViTs: the defaults.
            s.vit.regTokens = j.value("reg_tokens", 0);
            s.vit.noEmbedClass = j.value("no_embed_class", false);
            s.vit.layerScale = j.value("layer_scale", false);
            s.vit.normPre = j.value("norm_pre", false);
            s.vit.qkvBias = j.value("qkv_bias", true);
            s.vit.pool = poolFromName(j.value("pool", std::string("token")));
            s.vit.activation = activationFromName(j.value("act", std::string("gelu")));
            s.vit.eps = j.value("eps", 1e-6);
            s.vit.classToken = j.value("class_token", true);
            s.vit.swiglu = j.value("swiglu", false);
        } else if (s.family == ArchFamily::ConvNext) {
            s.convnext.depths = j.at("depths").get<std::array<int, 4>>();
            s.convnext.dims = j.at("dims").get<std::array<int, 4>>();
        } else {
            s.resnet.bottleneck = j.at("block").get<std::string>() == "bottleneck";
            s.resnet.layers = j.at("layers").get<std::array<int, 4>>();
            s.resnet.widthPerGroup = j.value("width_per_group", 64);
        }
        const auto &p = j.at("preprocessing");
        s.preprocessing.inputSize = p.at("input_size").get<int>();
        s.preprocessing.cropPct = p.at("crop_pct").get<double>();
        s.preprocessing.channels = p.at("channels").get<int>();
        s.preprocessing.mean = p.at("mean").get<std::array<double, 3>>();
        s.preprocessing.std = p.at("std").get<std::array<double, 3>>();
        s.preprocessing.interpolation = interpolationFromName(p.at("interpolation").get<std::string>());
        validate(s);
        return s;
    } catch (const nlohmann::json::exception &e) {
        throw InputError(std::string("architecture metadata is not valid: ") + e.what());
    }
}

std::string describeArch(const ArchSpec &s)
{
    std::ostringstream out;
    if (s.family == ArchFamily::Vit)
        out << "ViT dim " << s.vit.dim << ", depth " << s.vit.depth << ", heads " << s.vit.heads << ", mlp "
            << s.vit.mlpDim << ", patch " << s.vit.patch << " @ " << s.vit.imgSize << "px"
            << (s.vit.regTokens > 0 ? ", " + std::to_string(s.vit.regTokens) + " registers" : "")
            << (s.vit.layerScale ? ", layer scale" : "") << (s.vit.normPre ? ", norm_pre" : "")
            << (s.vit.activation == VitActivation::QuickGelu ? ", QuickGELU" : "")
            << (s.vit.pool == VitPool::Avg ? ", avg pool" : "")
            << (s.vit.pool == VitPool::Map ? ", attention pool" : "") << (s.vit.swiglu ? ", SwiGLU" : "");
    else if (s.family == ArchFamily::ConvNext)
        out << "ConvNeXt dims [" << s.convnext.dims[0] << "," << s.convnext.dims[1] << "," << s.convnext.dims[2] << ","
            << s.convnext.dims[3] << "], depths [" << s.convnext.depths[0] << "," << s.convnext.depths[1] << ","
            << s.convnext.depths[2] << "," << s.convnext.depths[3] << "]";
    else
        out << "ResNet " << (s.resnet.bottleneck ? "bottleneck" : "basic") << " blocks [" << s.resnet.layers[0] << ","
            << s.resnet.layers[1] << "," << s.resnet.layers[2] << "," << s.resnet.layers[3] << "]";
    out << ", " << s.inChans << " input channel" << (s.inChans == 1 ? "" : "s");
    return out.str();
}

std::string vitPoolName(VitPool pool)
{
    switch (pool) {
    case VitPool::Token: return "token";
    case VitPool::Avg: return "avg";
    case VitPool::Map: return "map";
    }
    return "token";
}

std::string vitActivationName(VitActivation activation)
{
    return activation == VitActivation::QuickGelu ? "quick_gelu" : "gelu";
}

namespace {

void describeVit(const VitShape &v, std::ostringstream &out)
{
    out << "pooling: ";
    switch (v.pool) {
    case VitPool::Token: out << "class token after the final norm"; break;
    case VitPool::Avg: out << "mean of the patch tokens, then fc_norm"; break;
    case VitPool::Map: out << "attention pool (attn_pool: a learned query over the normed patch tokens)"; break;
    }
    out << "\n";
    out << "prefix tokens: " << (v.classToken ? "class" : "none")
        << (v.regTokens > 0 ? " + " + std::to_string(v.regTokens) + (v.regTokens == 1 ? " register" : " registers")
                            : "")
        << "; position embedding "
        << (v.noEmbedClass || v.prefixTokens() == 0 ? "on the patches only" : "on the prefix tokens and patches")
        << "\n";
    out << "layer scale: " << (v.layerScale ? "yes (ls1, ls2)" : "no") << "\n";
    out << "norm before the blocks: " << (v.normPre ? "yes (norm_pre)" : "no") << "\n";
    out << "mlp: "
        << (v.swiglu ? "SwiGLU (fc1 packs value and gate, SiLU)"
                     : (v.activation == VitActivation::QuickGelu ? "QuickGELU" : "GELU (exact)"))
        << "; LayerNorm eps " << v.eps << "; qkv bias " << (v.qkvBias ? "yes" : "no") << "\n";
}

} // namespace

std::string describeArchChoices(const ArchSpec &spec)
{
    std::ostringstream out;
    switch (spec.family) {
    case ArchFamily::Vit: describeVit(spec.vit, out); break;
    case ArchFamily::ConvNext:
        out << "pooling: global average, then head.norm (LayerNorm)\n"
            << "blocks: depthwise 7x7 conv, LayerNorm, MLP (GELU), layer scale (gamma); LayerNorm eps 1e-6\n"
            << "stem: 4x4 patch convolution; stages 2-4 downsample with LayerNorm + 2x2 convolution\n";
        break;
    case ArchFamily::ResNet:
        out << "pooling: global average\n"
            << "blocks: " << (spec.resnet.bottleneck ? "bottleneck" : "basic")
            << "; BatchNorm with running statistics\n";
        break;
    }
    return out.str();
}

} // namespace upstep::core
