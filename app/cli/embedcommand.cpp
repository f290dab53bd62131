#include "commands.h"

#include "common/runtime.h"
#include "eval/embedding.h"
#include "terminalprogress.h"

#include <iostream>

namespace upstep::cli {

namespace {

struct EmbedArgs {
    core::EmbedRequest request;
    std::string weights, adapter, data, method = "pca", out, projector;
    std::string device = "auto", precision = "auto";
    int batch = 128;
};

void runEmbed(EmbedArgs &args)
{
    auto &r = args.request;
    r.weights = args.weights;
    r.adapter = args.adapter;
    r.data = args.data;
    r.method = core::embedMethodFromName(args.method);
    r.features.device = core::resolveDevice(args.device);
    r.features.dtype = core::resolvePrecision(core::precisionFromName(args.precision), r.features.device);
    r.features.batchSize = args.batch;
    TerminalProgress progress;
    const auto e = core::computeEmbedding(r, progress.sink());
    progress.finish();
    core::writeEmbeddingCsv(e, args.out);
    if (!args.projector.empty())
        core::writeProjector(e, args.projector);

    const auto k = r.qualityNeighbours;
    std::cout << e.images.size() << " images, " << args.method << ": features " << e.featureSeconds << " s, map "
              << e.projectionSeconds << " s\n"
              << "trustworthiness@" << k << ": base " << e.baseTrustworthiness << ", adapted "
              << e.adaptedTrustworthiness << "\n";
    if (e.baseLabelAgreement >= 0)
        std::cout << "kNN label agreement@" << k << " in the map: base " << e.baseLabelAgreement << ", adapted "
                  << e.adaptedLabelAgreement << "\n";
    std::cout << "most moved:\n";
    for (const auto i : e.mostMoved(5))
        std::cout << "  " << e.displacement[i].item<float>() << "  " << e.images[static_cast<std::size_t>(i)].path.string()
                  << "\n";
    std::cout << "points: " << args.out << (args.projector.empty() ? "" : "; projector: " + args.projector) << "\n";
}

} // namespace

void addEmbedCommand(CLI::App &app)
{
    auto args = std::make_shared<EmbedArgs>();
    auto *cmd = app.add_subcommand("embed", "Aligned 2-D maps of the same images before and after adaptation "
                                            "(PCA or t-SNE), with each image's displacement");
    cmd->add_option("--weights", args->weights, "Base model weights (.safetensors)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--adapter", args->adapter, "Run folder, PEFT adapter folder or adapter .safetensors")
        ->check(CLI::ExistingPath);
    cmd->add_option("--arch", args->request.arch, "Override architecture detection");
    cmd->add_option("--data", args->data, "Image folder (class sub-folders give labels)")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--method", args->method, "pca (exact, fitted on the base features) or tsne (one joint map)")
        ->check(CLI::IsMember({"pca", "tsne"}))
        ->capture_default_str();
    cmd->add_option("--out", args->out, "CSV: path,label,base_x,base_y,adapted_x,adapted_y,displacement")->required();
    cmd->add_option("--projector", args->projector, "Also write a TensorBoard projector folder here");
    cmd->add_option("--max", args->request.maxImages, "Seeded subset of at most this many images (0: all)")
        ->capture_default_str();
    cmd->add_option("--perplexity", args->request.tsne.perplexity, "t-SNE perplexity")->capture_default_str();
    cmd->add_option("--iterations", args->request.tsne.iterations, "t-SNE iterations")->capture_default_str();
    cmd->add_option("--seed", args->request.seed, "Seed of the subset and a random t-SNE start")->capture_default_str();
    cmd->add_option("--device", args->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
    cmd->add_option("--precision", args->precision, "auto, fp32 or bf16 for the features")->capture_default_str();
    cmd->add_option("--batch", args->batch, "Images per forward pass")->capture_default_str();
    cmd->callback([args] { runEmbed(*args); });
}

} // namespace upstep::cli
