#include "commands.h"

#include "adaptercheck.h"
#include "upstep/common/error.h"
#include "upstep/export/runexport.h"

#include <filesystem>
#include <iostream>

namespace upstep::cli {

namespace {

struct ExportArgs {
    std::string run, format = "peft", out, weights;
    bool force = false;
};

void runExport(const ExportArgs &args)
{
    core::RunExportRequest request;
    request.run = args.run;
    request.baseWeights = args.weights;
    request.format = core::choiceFromName<core::ExportFormat>(args.format);
    request.out = args.out;
    request.overwrite = args.force;
    if (!args.weights.empty())
        warnOnBaseMismatch(args.run, args.weights);
    std::error_code ec;
    if (!args.force && std::filesystem::exists(args.out, ec)) // the core's message cannot name the flag
        throw core::InputError(args.out + " already exists; choose another folder, or pass --force to replace it");
    const auto result = core::exportRun(request);
    std::cout << "exported " << args.format << " to " << result.folder.string() << ":";
    for (const auto &file : result.files)
        std::cout << " " << file;
    std::cout << "\nverified: reloaded output differs from the adapted model by at most " << result.maxAbsDifference
              << " (tolerance " << result.tolerance << ")\n";
}

} // namespace

void addExportCommand(CLI::App &app)
{
    auto args = std::make_shared<ExportArgs>();
    auto *cmd = app.add_subcommand("export", "Export a run's adapter as a PEFT folder or as merged weights, verified");
    cmd->add_option("--run", args->run, "Run folder (or an adapter .safetensors / PEFT folder)")
        ->required()
        ->check(CLI::ExistingPath);
    cmd->add_option("--format", args->format, "peft: Hugging Face PEFT LoRA folder; merged: base weights with LoRA "
                                              "folded in, in the base file's layout")
        ->check(CLI::IsMember(core::choiceNames<core::ExportFormat>()))
        ->capture_default_str();
    cmd->add_option("--out", args->out, "Folder to create")->required();
    cmd->add_option("--weights", args->weights, "Base weights, when the run's config does not point to them");
    cmd->add_flag("--force", args->force, "Replace an existing output folder (atomically)");
    cmd->callback([args] { runExport(*args); });
}

} // namespace upstep::cli
