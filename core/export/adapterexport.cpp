#include "export/adapterexport.h"

#include "upstep/common/error.h"
#include "common/torchcompat.h"
#include "upstep/io/atomicfile.h"
#include "upstep/io/outputpath.h"
#include "io/stagingfolder.h"
#include "io/weightsfile.h"
#include "models/lora.h"
#include "models/loralayers.h"
#include "models/backboneloader.h"
#include "run/runfingerprint.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace upstep::core {

namespace {

BackbonePtr adaptedModel(const ExportRequest &request)
{
    auto model = loadBackbone(request.baseWeights, request.arch).model;
    applyAdapter(*model, request.adapter);
    model->eval();
    return model;
}

torch::Tensor checkInputs(const ArchSpec &spec, int count)
{
    auto generator = at::make_generator<at::CPUGeneratorImpl>(20250302);
    const int size = spec.preprocessing.inputSize;
    return at::normal(0.0, 1.0, {count, spec.inChans, size, size}, generator);
}

torch::Tensor pooled(BackboneImpl &model, const torch::Tensor &inputs)
{
    compat::InferenceGuard inference;
    return model.features(inputs).to(torch::kFloat32);
}

/// Where each model tensor (timm's name) lives in the base file: the file tensors behind it and
/// the rows of the model tensor each holds (a transformers checkpoint's query, key and value
/// make up timm's qkv). Found by running the loader's renaming on a probe of the file's names.
struct FileRows {
    std::string name;
    std::int64_t begin = 0, count = 0;
};
struct BaseNames {
    std::map<std::string, std::vector<FileRows>> sources;
    std::optional<TransformersLayout> transformers;
};

/// Each base tensor's name and first dimension (1 for a scalar).
using TensorRows = std::vector<std::pair<std::string, std::int64_t>>;

TensorRows tensorRows(const TensorMap &tensors)
{
    TensorRows rows;
    for (const auto &[name, tensor] : tensors)
        rows.emplace_back(name, tensor.dim() > 0 ? tensor.size(0) : 1);
    return rows;
}

/// The same from a weights file: a safetensors header says it without reading the data.
TensorRows tensorRows(const std::filesystem::path &weights)
{
    if (isTorchSaveFile(weights))
        return tensorRows(loadWeightsFile(weights).tensors);
    TensorRows rows;
    for (const auto &entry : readSafetensorsHeader(weights).entries)
        rows.emplace_back(entry.name, entry.shape.empty() ? 1 : entry.shape.front());
    return rows;
}

BaseNames baseNames(const TensorRows &rows)
{
    TensorMap probe;
    std::vector<std::string> original;
    for (const auto &[name, count] : rows) {
        probe[name] = torch::full({count, 1}, static_cast<std::int64_t>(original.size()), torch::kInt64);
        original.push_back(name);
    }
    std::vector<std::string> notes;
    BaseNames out;
    out.transformers = mapWeightsToTimm(probe, notes).transformers;
    for (const auto &[name, tensor] : probe) {
        if (tensor.dim() != 2 || tensor.size(1) != 1 || tensor.scalar_type() != torch::kInt64)
            continue; // reshaped or computed (embeddings): never adapted
        const auto index = tensor.select(1, 0).contiguous();
        const auto *rows = index.data_ptr<std::int64_t>();
        std::vector<FileRows> found;
        for (std::int64_t r = 0; r < index.size(0); ++r) {
            if (rows[r] < 0 || rows[r] >= static_cast<std::int64_t>(original.size()))
                break;
            const auto &source = original[static_cast<std::size_t>(rows[r])];
            if (!found.empty() && found.back().name == source && found.back().begin + found.back().count == r)
                ++found.back().count;
            else
                found.push_back({source, r, 1});
        }
        out.sources[name] = std::move(found);
    }
    return out;
}

/// Module-name patterns for adapter_config.json: the short suffixes (e.g. "qkv") when they
/// select exactly the adapted modules in this model, as PEFT matches them; else the full names.
std::vector<std::string> targetModules(BackboneImpl &model, const std::vector<std::string> &adapted)
{
    std::set<std::string> suffixes;
    for (const auto &name : adapted)
        suffixes.insert(name.substr(name.rfind('.') == std::string::npos ? 0 : name.rfind('.') + 1));
    const std::set<std::string> adaptedSet(adapted.begin(), adapted.end());
    for (const auto &item : model.named_modules("", false)) {
        const auto &name = item.key();
        const auto last = name.substr(name.rfind('.') == std::string::npos ? 0 : name.rfind('.') + 1);
        if (suffixes.count(last) && !adaptedSet.count(name))
            return adapted;
    }
    return {suffixes.begin(), suffixes.end()};
}

/// timm's class and module for a family, as PEFT's auto_mapping names them.
std::pair<std::string, std::string> timmClassOf(ArchFamily family)
{
    switch (family) {
    case ArchFamily::Vit: return {"VisionTransformer", "timm.models.vision_transformer"};
    case ArchFamily::ConvNext: return {"ConvNeXt", "timm.models.convnext"};
    case ArchFamily::ResNet: break;
    }
    return {"ResNet", "timm.models.resnet"};
}

/// Returns the transformers model class of the base, or empty for timm and torchvision files.
std::string writePeft(const ExportRequest &request, BackboneImpl &adapted, const std::filesystem::path &dir,
                      ExportResult &result)
{
    const auto &spec = adapted.spec();
    const auto [baseClass, parentLibrary] = timmClassOf(spec.family);
    nlohmann::json config{{"peft_type", "LORA"},
                          {"task_type", nullptr},
                          {"r", request.adapter.info.rank},
                          {"lora_alpha", request.adapter.info.alpha},
                          {"lora_dropout", 0.0},
                          {"target_modules", targetModules(adapted, request.adapter.info.modules)},
                          {"bias", "none"},
                          {"fan_in_fan_out", false},
                          {"use_rslora", false},
                          {"use_dora", false},
                          {"modules_to_save", nullptr},
                          {"init_lora_weights", true},
                          {"inference_mode", true},
                          {"base_model_name_or_path",
                           spec.name.empty() ? request.baseWeights.filename().string() : spec.name},
                          {"auto_mapping", {{"base_model_class", baseClass}, {"parent_library", parentLibrary}}}};
    TensorMap tensors;
    for (const auto &[name, tensor] : loraTensors(adapted))
        tensors[name] = tensor.to(torch::kFloat32);
    const auto base = baseNames(tensorRows(request.baseWeights));
    if (base.transformers) {
        // In the transformers model's own module names, so PeftModel.from_pretrained(AutoModel...)
        // loads it: each fused qkv LoRA becomes the query, key and value LoRAs it is (one lora_A,
        // the rows of lora_B), which is exactly the same update.
        TensorMap renamed;
        std::set<std::string> modules;
        const std::string head = "base_model.model.";
        for (const auto &module : request.adapter.info.modules) {
            const auto it = base.sources.find(module + ".weight");
            if (it == base.sources.end() || it->second.empty())
                throw InputError("base file has no tensor for adapted layer " + module);
            const auto &a = tensors.at(head + module + ".lora_A.weight");
            const auto &b = tensors.at(head + module + ".lora_B.weight");
            for (const auto &rows : it->second) {
                // PEFT's habit, query and value only: the projections the adapter does not change
                // get no LoRA (their rows of lora_B are zero).
                const auto projection = static_cast<std::size_t>(rows.count > 0 ? rows.begin / rows.count : 0);
                if (it->second.size() == 3 && projection < 3 &&
                    !request.adapter.info.qkvProjections.adapted[projection])
                    continue;
                const auto target = rows.name.substr(0, rows.name.size() - 7); // without ".weight"
                renamed[head + target + ".lora_A.weight"] = a.clone();
                renamed[head + target + ".lora_B.weight"] = b.narrow(0, rows.begin, rows.count).contiguous();
                modules.insert(target);
            }
        }
        tensors = std::move(renamed);
        const bool bySuffix = std::none_of(config["target_modules"].begin(), config["target_modules"].end(),
                                           [](const auto &t) {
                                               return t.template get<std::string>().find('.') != std::string::npos;
                                           });
        std::set<std::string> targets;
        for (const auto &m : modules)
            targets.insert(bySuffix ? m.substr(m.rfind('.') + 1) : m);
        config["target_modules"] = std::vector<std::string>(targets.begin(), targets.end());
        config["auto_mapping"] = {{"base_model_class", base.transformers->className},
                                  {"parent_library", "transformers"}};
        config["base_model_name_or_path"] = request.baseWeights.parent_path().string();
    }
    writeJsonAtomically(dir / "adapter_config.json", config);
    saveSafetensors(dir / "adapter_model.safetensors", tensors,
                    {{"format", "pt"}, {kBaseFingerprintKey, fingerprintWeights(request.baseWeights)}});
    result.files = {"adapter_config.json", "adapter_model.safetensors", "README.md"};
    return base.transformers ? base.transformers->className : std::string();
}

/// The base file's tensors with each adapted weight replaced by W + scale B A, in the file's
/// own names (torchvision ViT names included) and dtypes. Returns true when the file stores
/// floating weights in less than 32 bits, which the merge then rounds.
bool writeMerged(const ExportRequest &request, BackboneImpl &adapted, const std::filesystem::path &dir,
                 ExportResult &result)
{
    auto file = loadWeightsFile(request.baseWeights); // a .pth base is written back as safetensors
    bool reduced = false;
    for (const auto &[name, tensor] : file.tensors)
        reduced = reduced || (tensor.is_floating_point() && tensor.element_size() < 4);
    const auto base = baseNames(tensorRows(file.tensors)); // which file tensors (and rows) hold each model tensor

    torch::NoGradGuard noGrad;
    std::size_t merged = 0;
    for (const auto &item : adapted.named_modules("", false)) {
        torch::Tensor delta;
        if (auto linear = std::dynamic_pointer_cast<LoraLinearImpl>(item.value()); linear && linear->hasLora())
            delta = linear->deltaWeight();
        else if (auto conv = std::dynamic_pointer_cast<LoraConv2dImpl>(item.value()); conv && conv->hasLora())
            delta = conv->deltaWeight();
        else
            continue;
        const auto it = base.sources.find(item.key() + ".weight");
        if (it == base.sources.end() || it->second.empty())
            throw InputError("base file has no tensor for adapted layer " + item.key());
        delta = delta.to(torch::kCPU, torch::kFloat32);
        for (const auto &rows : it->second) { // one tensor, or transformers' query, key and value
            auto &weight = file.tensors.at(rows.name);
            const auto part = delta.narrow(0, rows.begin, rows.count);
            if (weight.sizes() != part.sizes())
                throw InputError("base tensor " + rows.name + " has shape " + c10::str(weight.sizes()) +
                                 ", the adapter's update " + c10::str(part.sizes()) +
                                 " (was the model trained with a resized --arch?)");
            weight = (weight.to(torch::kFloat32) + part).to(weight.scalar_type());
        }
        ++merged;
    }
    auto metadata = file.metadata;
    // The architecture as the run used it (an --arch activation, a config folder's settings), so
    // the merged file loads as the same model wherever it is read.
    metadata[kArchMetadataKey] = archSpecToJson(adapted.spec());
    metadata["upstep.merged_lora"] = "r=" + std::to_string(request.adapter.info.rank) +
                                     " alpha=" + std::to_string(request.adapter.info.alpha) + " layers=" +
                                     std::to_string(merged);
    saveSafetensors(dir / "model.safetensors", file.tensors, metadata);
    result.files = {"model.safetensors", "README.md"};
    if (base.transformers) // a model folder again: from_pretrained needs its config files
        for (const char *name : {"config.json", "preprocessor_config.json"}) {
            std::ifstream in(request.baseWeights.parent_path() / name, std::ios::binary);
            if (!in)
                continue;
            const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            writeFileAtomically(dir / name, text);
            result.files.push_back(name);
        }
    return reduced;
}

std::string readme(const ExportRequest &request, const ArchSpec &spec, const ExportResult &result,
                   const std::string &transformersClass)
{
    std::ostringstream out;
    const auto folder = request.out.filename().string();
    if (request.format == ExportFormat::Peft) {
        out << "# LoRA adapter (Hugging Face PEFT format)\n\n"
            << "Trained by UpStep on `" << request.baseWeights.filename().string() << "` (" << describeArch(spec)
            << "): rank " << request.adapter.info.rank << ", alpha " << request.adapter.info.alpha << ", "
            << request.adapter.info.modules.size() << " adapted layers.\n\n"
            << "Load it in Python:\n\n```python\n"
            << peftLoadingSnippet(spec, request.baseWeights.string(), folder, transformersClass) << "```\n";
    } else {
        out << "# Merged weights\n\n`model.safetensors` is `" << request.baseWeights.filename().string()
            << "` with the UpStep LoRA adapter (rank " << request.adapter.info.rank << ", alpha "
            << request.adapter.info.alpha << ") folded into its weights. Names, layout and dtypes are those of the "
            << "base file, so it loads wherever the base file loads, with no PEFT dependency.\n";
    }
    const auto perChannel = [&](const auto &values) { // one value per input channel (1 for gray models)
        std::ostringstream text;
        for (int c = 0; c < std::min<int>(spec.inChans, static_cast<int>(values.size())); ++c)
            text << (c ? "/" : "") << values[static_cast<std::size_t>(c)];
        return text.str();
    };
    out << "\nPreprocessing: " << spec.preprocessing.inputSize << " px, mean " << perChannel(spec.preprocessing.mean)
        << ", std " << perChannel(spec.preprocessing.std) << ", " << interpolationName(spec.preprocessing.interpolation)
        << ".\n\nVerified on export: the reloaded files reproduce the adapted model's features (largest difference "
        << result.maxAbsDifference << ", tolerance " << result.tolerance << ").\n";
    return out.str();
}

} // namespace

std::string peftLoadingSnippet(const ArchSpec &spec, const std::string &baseWeights, const std::string &folderName,
                               const std::string &transformersClass)
{
    std::ostringstream py;
    if (!transformersClass.empty()) { // the model folder the weights came from
        const auto folder = std::filesystem::path(baseWeights).parent_path().string();
        py << "from peft import PeftModel\nfrom transformers import " << transformersClass << "\n\n"
           << "base = " << transformersClass << ".from_pretrained(\"" << folder << "\")\n"
           << "model = PeftModel.from_pretrained(base, \"" << folderName
           << "\").eval()\n"
           // upstep's features: the class token after the final norm, which is DINOv2's and
           // CLIP's pooler_output; ViT's pooler adds a tanh layer that upstep does not use.
           << (transformersClass.rfind("ViT", 0) == 0 ? "features = model(pixel_values=x).last_hidden_state[:, 0]\n"
                                                      : "features = model(pixel_values=x).pooler_output\n");
        return py.str();
    }
    py << "import timm\nimport torch\nfrom peft import PeftModel\nfrom safetensors.torch import load_file\n\n";
    if (spec.family == ArchFamily::Vit) {
        const auto &v = spec.vit;
        // The timm arguments of each variation the weights hold (VitShape), so the state dict loads.
        std::ostringstream variant;
        if (v.regTokens > 0)
            variant << ", reg_tokens=" << v.regTokens;
        if (v.noEmbedClass)
            variant << ", no_embed_class=True";
        if (v.layerScale)
            variant << ", init_values=1e-5";
        if (v.normPre)
            variant << ", pre_norm=True";
        if (!v.qkvBias)
            variant << ", qkv_bias=False";
        if (!v.classToken)
            variant << ", class_token=False";
        if (v.pool == VitPool::Avg)
            variant << ", global_pool=\"avg\"";
        if (v.pool == VitPool::Map)
            variant << ", global_pool=\"map\"";
        if (v.swiglu)
            variant << ", mlp_layer=SwiGLUPacked, act_layer=torch.nn.SiLU";
        if (v.activation == VitActivation::QuickGelu)
            variant << ", act_layer=\"quick_gelu\"";
        if (v.eps != 1e-6)
            variant << ", norm_layer=partial(torch.nn.LayerNorm, eps=" << v.eps << ")";
        if (v.eps != 1e-6)
            py << "from functools import partial\n";
        if (v.swiglu)
            py << "from timm.layers import SwiGLUPacked\n";
        py << "from timm.models.vision_transformer import VisionTransformer\n\n"
           << "base = VisionTransformer(img_size=" << v.imgSize << ", patch_size=" << v.patch
           << ", in_chans=" << spec.inChans << ", embed_dim=" << v.dim << ", depth=" << v.depth
           << ", num_heads=" << v.heads << ", mlp_ratio="
           << (v.mlpDim % v.dim == 0 ? std::to_string(v.mlpDim / v.dim)
                                     // timm takes int(dim * ratio): half a unit keeps the truncation exact
                                     : "(" + std::to_string(v.mlpDim) + " + 0.5) / " + std::to_string(v.dim))
           << ", num_classes=" << spec.numClasses << variant.str() << ")\n";
    } else if (spec.family == ArchFamily::ConvNext) {
        const auto list = [](const std::array<int, 4> &a) {
            return "(" + std::to_string(a[0]) + ", " + std::to_string(a[1]) + ", " + std::to_string(a[2]) + ", " +
                   std::to_string(a[3]) + ")";
        };
        py << "from timm.models.convnext import ConvNeXt\n\n"
           << "base = ConvNeXt(in_chans=" << spec.inChans << ", depths=" << list(spec.convnext.depths)
           << ", dims=" << list(spec.convnext.dims) << ", num_classes=" << spec.numClasses << ")\n";
    } else {
        py << "base = timm.create_model(\"" << (spec.name.empty() ? "resnet50" : spec.name)
           << "\", pretrained=False, num_classes=" << spec.numClasses << ")\n";
    }
    const auto extension = std::filesystem::path(baseWeights).extension();
    if (extension == ".pth" || extension == ".pt" || extension == ".bin") // a torch.save file
        py << "base.load_state_dict(torch.load(\"" << baseWeights << "\", weights_only=True))\n";
    else
        py << "base.load_state_dict(load_file(\"" << baseWeights << "\"))\n";
    py << "model = PeftModel.from_pretrained(base, \"" << folderName << "\").eval()\n"
       << "features = model.forward_features  # or model(x) for the base head's logits\n";
    return py.str();
}

namespace {

// Builds, verifies and publishes the export of a checked request.
ExportResult writeVerifiedExport(const ExportRequest &request)
{
    auto reference = adaptedModel(request);
    const auto &spec = reference->spec();
    const auto inputs = checkInputs(spec, std::max(request.checkInputs, 1));
    const auto expected = pooled(*reference, inputs);

    StagingFolder staging(request.out);
    ExportResult result;
    torch::Tensor actual;
    std::string transformersClass;
    if (request.format == ExportFormat::Peft) {
        transformersClass = writePeft(request, *reference, staging.path(), result);
        auto reloaded = loadBackbone(request.baseWeights, request.arch).model;
        applyAdapter(*reloaded, loadAdapter(staging.path()));
        reloaded->eval();
        actual = pooled(*reloaded, inputs);
        result.tolerance = 1e-6;
    } else {
        const bool reduced = writeMerged(request, *reference, staging.path(), result);
        auto reloaded = loadBackbone(staging.path() / "model.safetensors", request.arch).model;
        reloaded->eval();
        actual = pooled(*reloaded, inputs);
        // Folding changes the order of float additions; a half-precision base file also rounds.
        result.tolerance = (reduced ? 2e-2 : 1e-4) * std::max(1.0, expected.abs().max().item<double>());
    }
    result.maxAbsDifference = (actual - expected).abs().max().item<double>();
    if (!(result.maxAbsDifference <= result.tolerance))
        throw Error("export verification failed: the reloaded " +
                    std::string(request.format == ExportFormat::Peft ? "adapter" : "merged weights") +
                    " differ from the adapted model by " + std::to_string(result.maxAbsDifference) +
                    " (tolerance " + std::to_string(result.tolerance) + "); nothing was written");
    writeFileAtomically(staging.path() / "README.md", readme(request, spec, result, transformersClass));
    staging.publish(request.overwrite);
    result.folder = request.out;
    return result;
}

} // namespace

ExportResult exportAdapter(const ExportRequest &given)
{
    auto request = given;
    request.out = withoutTrailingSeparator(given.out); // "out/" is the folder "out", not "out/" + ""
    request.baseWeights = resolveWeightsFile(given.baseWeights); // a model folder: its weights file
    checkOutputLocation(request.out);
    if (std::filesystem::exists(request.out) && !request.overwrite)
        throw InputError(request.out.string() + " already exists; choose another folder or allow overwriting");
    try {
        return writeVerifiedExport(request);
    } catch (const IoError &e) { // a full disk: say that nothing was half-replaced
        throw withKeptState(e, keptState(request.out));
    }
}

} // namespace upstep::core
