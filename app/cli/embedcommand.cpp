#include "commands.h"

#include "adaptercheck.h"
#include "choiceoption.h"
#include "upstep/common/hardware.h"
#include "upstep/eval/embedjob.h"
#include "upstep/eval/mapestimate.h"
#include "upstep/models/backbonesummary.h"
#include "upstep/io/outputpath.h"
#include "terminalprogress.h"

#include <algorithm>
#include <iomanip>
#include <iostream>

namespace upstep::cli {

namespace {

struct EmbedArgs {
    core::EmbedJob job;
    std::string out, projector;
};

void runEmbed(const EmbedArgs &args)
{
    // Settings and output places are checked before minutes of feature extraction.
    core::validateEmbedJob(args.job);
    core::checkOutputFile(args.out);
    if (!args.projector.empty())
        core::checkOutputLocation(args.projector);
    if (!args.job.adapter.empty())
        warnOnBaseMismatch(args.job.adapter, args.job.weights);
    // The folder is scanned once, here, for the estimate and the map alike.
    auto job = args.job;
    {
        TerminalProgress scanning;
        job.scan = core::scanEmbedFolder(job.data, scanning.sink());
        scanning.finish();
    }
    const auto backbone = core::inspectBackbone(job.weights, job.arch);
    const auto estimate = core::estimateMapCost(job, static_cast<std::int64_t>(job.scan->images.size()),
                                                backbone.featureDim, !job.adapter.empty(), -1, core::computeThreads());
    std::cerr << "estimate for " << estimate.images << (estimate.images == 1 ? " image: " : " images: ")
              << core::describeMapCost(job, estimate) << " (the features' time: the ETA of the progress line)\n";
    TerminalProgress progress;
    const auto map = core::runEmbedding(job, progress.sink());
    progress.finish();
    map.writeFiles(args.out, args.projector);

    const auto k = map.qualityNeighbours();
    const bool adapted = map.hasAdapter(); // without one, the "adapted" side is the base itself
    std::cout << std::fixed << std::setprecision(1) << map.size() << " images, " << core::choiceName(args.job.method)
              << ": features " << map.featureSeconds() << " s, map " << map.projectionSeconds() << " s\n"
              << std::setprecision(4);
    if (map.adapterStep() >= 0)
        std::cout << "adapter: the run's checkpoint at step " << map.adapterStep() << "\n";
    std::cout << "trustworthiness@" << k << ": base " << map.baseTrustworthiness();
    if (adapted)
        std::cout << ", adapted " << map.adaptedTrustworthiness();
    if (map.qualityRows() < map.size())
        std::cout << " (on a seeded sample of " << map.qualityRows() << " images)";
    std::cout << "\n";
    if (map.approximateNeighbours())
        std::cout << "neighbour graph: approximate (HNSW), recall " << map.neighbourRecall()
                  << " against exact search on a seeded sample of 500 points\n";
    if (map.baseLabelAgreement() >= 0) {
        std::cout << "kNN label agreement@" << k << " in the map: base " << map.baseLabelAgreement();
        if (adapted)
            std::cout << ", adapted " << map.adaptedLabelAgreement();
        std::cout << "\n";
    }
    if (map.clusterCount() > 0) {
        const auto sizes = map.clusterSizes();
        const auto used = std::count_if(sizes.begin(), sizes.end(), [](auto s) { return s > 0; });
        std::cout << "clusters: " << used << " of " << map.clusterCount() << " prototypes hold images; largest "
                  << *std::max_element(sizes.begin(), sizes.end()) << " images\n";
    }
    if (adapted) {
        std::cout << "most moved:\n";
        for (const auto i : map.mostMoved(5))
            std::cout << "  " << map.displacement()[static_cast<std::size_t>(i)] << "  "
                      << map.path(i) << "\n";
    }
    std::cout << "points: " << args.out << (args.projector.empty() ? "" : "; projector: " + args.projector) << "\n";
}

} // namespace

void addEmbedCommand(CLI::App &app)
{
    auto args = std::make_shared<EmbedArgs>();
    auto *cmd = app.add_subcommand("embed", "Aligned 2-D maps of the same images before and after adaptation "
                                            "(PCA, t-SNE or UMAP), with each image's displacement");
    cmd->add_option(
           "--weights", args->job.weights,
           "Base model weights (.safetensors, a torch.save .pth/.pt state dict, or a Hugging Face model folder)")
        ->required()
        ->check(CLI::ExistingPath);
    cmd->add_option("--adapter", args->job.adapter, "Run folder (its newest checkpoint, also while it runs; adds clusters), PEFT adapter folder or adapter .safetensors")
        ->check(CLI::ExistingPath);
    cmd->add_option("--checkpoint-step", args->job.checkpointStep,
                    "With a run folder: map its checkpoint at this step instead of the newest (-1)")
        ->capture_default_str();
    cmd->add_option("--arch", args->job.arch, "Override architecture detection");
    cmd->add_option("--data", args->job.data, "Image folder (class sub-folders give labels)")
        ->required()
        ->check(CLI::ExistingDirectory);
    addChoiceOption(*cmd, "--method", args->job.method,
                    "pca (exact, fitted on the base features), tsne or umap (one joint map of both sides)");
    cmd->add_option("--out", args->out, "CSV: path,label,cluster,base_x,base_y,adapted_x,adapted_y,displacement")->required();
    cmd->add_option("--projector", args->projector, "Also write a TensorBoard projector folder here");
    cmd->add_option("--max", args->job.maxImages, "Seeded subset of at most this many images (0: all)")
        ->capture_default_str();
    cmd->add_option("--perplexity", args->job.perplexity, "t-SNE perplexity")->capture_default_str();
    cmd->add_option("--iterations", args->job.iterations, "t-SNE iterations")->capture_default_str();
    cmd->add_option("--umap-neighbours", args->job.umapNeighbours, "UMAP n_neighbors (the image itself included)")
        ->capture_default_str();
    cmd->add_option("--quality-sample", args->job.qualitySample,
                    "Judge trustworthiness on a seeded sample of this many images (exact, O(n^2); 0: all)")
        ->capture_default_str();
    cmd->add_option("--seed", args->job.seed, "Seed of the subset, the samples and a random start")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--device", args->job.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
    addChoiceOption(*cmd, "--precision", args->job.precision, "auto, fp32 or bf16 for the features");
    cmd->add_option("--batch", args->job.batchSize, "Images per forward pass")->capture_default_str();
    cmd->callback([args] { runEmbed(*args); });
}

} // namespace upstep::cli
