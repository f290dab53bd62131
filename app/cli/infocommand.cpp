#include "commands.h"

#include "models/lora.h"
#include "models/backboneloader.h"
#include "upstep/common/jsontext.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <sstream>

namespace upstep::cli {

namespace {

struct InfoArgs {
    std::string weights;
    std::string arch;
    bool json = false;
};

void runInfo(const InfoArgs &args)
{
    const auto loaded = core::loadBackbone(args.weights, args.arch);
    const auto &spec = loaded.arch.spec;
    const auto counts = core::countParameters(*loaded.model);
    const auto &p = spec.preprocessing;
    const auto defaultTargets = core::loraPatternsFor({}, loaded.transformers.has_value());
    if (args.json) {
        nlohmann::json j;
        j["file"] = args.weights;
        j["architecture"] = nlohmann::json::parse(core::archSpecToJson(spec));
        j["layout"] = loaded.arch.layout;
        j["detected_from"] = loaded.arch.source;
        j["tensors"] = loaded.tensorCount;
        j["parameters"] = counts.total;
        j["feature_dim"] = spec.featureDim();
        j["has_head"] = spec.numClasses > 0;
        j["choices"] = core::describeArchChoices(spec);
        j["lora_default_targets"] = core::resolveLoraTargets(*loaded.model, defaultTargets);
        const auto projections = core::qkvProjectionsOf(defaultTargets);
        j["lora_default_qkv_projections"] = projections.all() ? std::string("q,k,v") : projections.text();
        j["notes"] = loaded.notes;
        std::cout << core::jsonText(j, 2) << "\n";
        return;
    }
    std::cout << "file:          " << args.weights << "\n"
              << "architecture:  " << spec.name << " (" << core::describeArch(spec) << ")\n"
              << "detected from: " << loaded.arch.source << ", " << loaded.arch.layout << " layout\n"
              << "tensors:       " << loaded.tensorCount << "\n"
              << "parameters:    " << counts.total << " (" << counts.total / 1e6 << " M)\n"
              << "features:      " << spec.featureDim() << "-dimensional\n"
              << "head:          "
              << (spec.numClasses > 0 ? std::to_string(spec.numClasses) + " classes" : std::string("none")) << "\n"
              << "preprocessing: " << p.inputSize << " px, " << p.channels << " channel(s), resize "
              << p.resizeSize() << " + centre crop, " << core::interpolationName(p.interpolation) << ", mean ("
              << p.mean[0] << ", " << p.mean[1] << ", " << p.mean[2] << "), std (" << p.std[0] << ", " << p.std[1]
              << ", " << p.std[2] << ")\n";
    // Each choice made for the model, so a user can see the file was understood.
    std::istringstream choices(core::describeArchChoices(spec));
    for (std::string line; std::getline(choices, line);)
        std::cout << "model:         " << line << "\n";
    std::cout << "lora:          by default on " << core::describeLoraTargets(*loaded.model, defaultTargets)
              << "; `upstep adapt --lora-targets` chooses others\n";
    for (const auto &note : loaded.notes)
        std::cout << "note:          " << note << "\n";
}

} // namespace

void addInfoCommand(CLI::App &app)
{
    auto args = std::make_shared<InfoArgs>();
    auto *cmd = app.add_subcommand("info", "Show the architecture, parameters, head and preprocessing of a weights file");
    cmd->add_option("weights", args->weights,
                    "Weights file (.safetensors, a torch.save .pth/.pt state dict, or a Hugging Face model folder)")
        ->required()
        ->check(CLI::ExistingPath);
    cmd->add_option("--arch", args->arch,
                    "Override detection: a preset (" + core::archPresetList() + ") or key=value pairs, e.g. heads=8");
    cmd->add_flag("--json", args->json, "Print JSON");
    cmd->callback([args] { runInfo(*args); });
}

} // namespace upstep::cli
