#include "commands.h"

#include "models/lora.h"
#include "upstep/io/outputpath.h"
#include "models/backboneloader.h"

#include <iostream>

namespace upstep::cli {

namespace {

struct InitArgs {
    std::string arch, out;
    std::uint64_t seed = 0;
};

void runInit(const InitArgs &args)
{
    const auto spec = core::parseArchSpec(args.arch); // refuses absurd shapes before allocating
    core::checkOutputLocation(args.out);
    torch::manual_seed(args.seed);
    auto model = core::createBackbone(spec);
    core::makeParentFolder(args.out);
    core::saveBackbone(*model, args.out, {{"upstep.init", "random, seed " + std::to_string(args.seed)}});
    std::cout << "wrote randomly initialised " << spec.name << " (" << core::countParameters(*model).total
              << " parameters) to " << args.out << "\n";
}

} // namespace

void addInitCommand(CLI::App &app)
{
    auto args = std::make_shared<InitArgs>();
    auto *cmd = app.add_subcommand("init", "Write a randomly initialised backbone (timm/torchvision init), the "
                                           "starting point for training from scratch");
    cmd->add_option("--arch", args->arch, "A preset (" + core::archPresetList() + ") with optional ,key=value pairs")
        ->required();
    cmd->add_option("--out", args->out, "Output weights file (.safetensors)")->required();
    cmd->add_option("--seed", args->seed, "Random seed")->check(CLI::NonNegativeNumber)->capture_default_str();
    cmd->callback([args] { runInit(*args); });
}

} // namespace upstep::cli
