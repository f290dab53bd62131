#include "commands.h"

#include "choiceoption.h"
#include "upstep/common/error.h"
#include "common/runtime.h"
#include "eval/featureextractor.h"
#include "upstep/io/atomicfile.h"
#include "upstep/io/outputpath.h"
#include "io/csvfield.h"
#include "io/safetensors.h"
#include "models/backboneloader.h"
#include "folderreport.h"
#include "terminalprogress.h"

#include <filesystem>
#include <iostream>
#include <sstream>

namespace upstep::cli {

namespace {

struct FeaturesArgs {
    std::string weights, arch, data, out;
    std::string labels = "auto";
    std::string device = "auto";
    core::Precision precision = core::Precision::Auto;
    int batch = 64;
    int workers = 2;
};

void runFeatures(const FeaturesArgs &args)
{
    const std::filesystem::path out(args.out);
    if (out.extension() != ".safetensors")
        throw core::InputError("--out " + args.out +
                               ": name the .safetensors file of the features (the .csv index "
                               "is written next to it, with the same name)");
    core::checkOutputFile(out);
    const auto device = core::resolveDevice(args.device);
    // The folder is checked first: a wrong path fails before the model is loaded.
    TerminalProgress progress;
    const auto folder = scanWithProgress(args.data, args.labels, progress);

    auto loaded = core::loadBackbone(args.weights, args.arch);
    const auto &spec = loaded.arch.spec;
    const auto dtype = core::resolvePrecision(args.precision, device);
    std::cerr << "model: " << spec.name << " (" << core::describeArch(spec) << "), " << core::torchBuildInfo()
              << ", " << torch::get_num_threads() << " threads, " << core::choiceName(core::precisionOf(dtype))
              << "\n";

    core::FeatureOptions options;
    options.batchSize = args.batch;
    options.loaderWorkers = args.workers;
    options.device = device;
    options.dtype = dtype;
    auto result = core::extractFeatures(*loaded.model, folder.images, options, progress.sink());
    progress.finish();
    if (result.images.empty())
        throw core::InputError(
            args.data + ": none of the " + std::to_string(folder.images.size()) + " image files could be decoded" +
            (result.skipped.empty()
                 ? std::string()
                 : " (first: " + result.skipped.front().path.string() + ": " + result.skipped.front().reason + ")"));

    std::vector<std::int64_t> labels;
    for (std::size_t i = 0; i < result.images.size(); ++i)
        labels.push_back(result.images.label(i));
    auto csvPath = out;
    csvPath.replace_extension(".csv");

    std::ostringstream csv;
    csv << "index,path,label,class\n";
    for (std::size_t i = 0; i < result.images.size(); ++i) {
        const auto image = result.images[i];
        csv << i << "," << core::csvField(image.path.string()) << "," << image.label << ","
            << core::csvField(image.label >= 0 ? folder.classNames[static_cast<std::size_t>(image.label)] : "") << "\n";
    }
    // The features and their index are one result: the index is made ready first and put in
    // place only after the features are, so a full disk leaves the previous pair as it was.
    try {
        core::makeParentFolder(out);
        core::AtomicFileWriter index(csvPath);
        index.write(csv.str());
        index.sync();
        core::saveSafetensors(out, {{"features", result.features}, {"labels", torch::tensor(labels, torch::kInt64)}},
                              {{core::kArchMetadataKey, core::archSpecToJson(spec)},
                               {"upstep.weights", args.weights},
                               {"upstep.data", args.data},
                               {"upstep.precision", core::choiceName(core::precisionOf(dtype))},
                               {"upstep.index", csvPath.filename().string()},
                               {"format", "pt"}});
        index.commit();
    } catch (const core::IoError &e) {
        throw core::withKeptState(e, core::keptState(out) + "; " + core::keptState(csvPath));
    }

    auto skipped = folder.skipped;
    skipped.insert(skipped.end(), result.skipped.begin(), result.skipped.end());
    std::cout << "features: " << result.features.size(0) << " x " << result.features.size(1) << " -> " << out.string()
              << " (index " << csvPath.string() << ")\n"
              << "feature norms: mean " << result.features.norm(2, 1).mean().item<double>() << ", per-dimension std "
              << (result.features.size(0) > 1 ? result.features.std(0).mean().item<double>() : 0.0) << "\n"
              << "time: " << result.seconds << " s, " << result.images.size() / std::max(result.seconds, 1e-9)
              << " images/s with " << torch::get_num_threads() << " threads\n";
    if (!skipped.empty()) {
        std::cout << "skipped " << skipped.size() << " files:\n";
        printSkipped(std::cout, skipped);
    }
}

} // namespace

void addFeaturesCommand(CLI::App &app)
{
    auto args = std::make_shared<FeaturesArgs>();
    auto *cmd = app.add_subcommand("features", "Extract pooled features of every readable image in a folder");
    cmd->add_option("--weights", args->weights,
                    "Backbone weights (.safetensors, a torch.save .pth/.pt state dict, or a Hugging Face model folder)")
        ->required()
        ->check(CLI::ExistingPath);
    cmd->add_option("--arch", args->arch, "Override architecture detection (see `upstep info --help`)");
    cmd->add_option("--data", args->data, "Image folder (scanned recursively)")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("--out", args->out, "Output .safetensors (tensors 'features' and 'labels'); a .csv index of "
                                        "paths and labels is written next to it")
        ->required();
    addLabelsOption(*cmd, args->labels);
    cmd->add_option("--batch", args->batch, "Images per batch")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--workers", args->workers, "Decoding threads")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--device", args->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
    addChoiceOption(*cmd, "--precision", args->precision,
                    "auto (bf16 on CUDA and on CPUs with native bf16, else fp32), fp32 or bf16; features are "
                    "stored as float32 either way");
    cmd->callback([args] { runFeatures(*args); });
}

} // namespace upstep::cli
