#include "commands.h"

#include "choiceoption.h"
#include "upstep/common/error.h"
#include "upstep/eval/evaljob.h"
#include "upstep/io/atomicfile.h"
#include "io/idx.h"
#include "terminalprogress.h"
#include "upstep/train/pretrainer.h"
#include "upstep/train/trainer.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <iostream>

namespace upstep::cli {

namespace {

namespace fs = std::filesystem;

/// The demo's base model: a small ViT for 28x28 gray images (docs/DATA.md step 1).
constexpr const char *kDemoArch = "vit,img_size=28,patch=4,depth=6,dim=192,heads=3,in_chans=1,mean=0.5/0.5/0.5,"
                                  "std=0.5/0.5/0.5,crop_pct=1";

struct DemoArgs {
    std::string cache;
    std::int64_t steps = 400;
    double pretrainEpochs = 3;
    std::int64_t evalTrain = 10000;
    std::int64_t evalTest = 0;
    core::Precision precision = core::Precision::Auto;
    std::uint64_t seed = 0;
    bool prepareOnly = false;
};

fs::path cacheRoot(const std::string &given)
{
    if (!given.empty())
        return given;
    if (const char *env = std::getenv("UPSTEP_CACHE"))
        return env;
    const char *home = std::getenv("HOME");
    return fs::path(home ? home : ".") / ".cache" / "upstep";
}

fs::path findIdx(const fs::path &dir, const std::string &stem)
{
    for (const auto *suffix : {"", ".gz"})
        if (fs::exists(dir / (stem + suffix)))
            return dir / (stem + suffix);
    throw core::InputError("missing " + (dir / stem).string() + "; run scripts/fetch-data first (docs/DATA.md)");
}

void importSplit(const fs::path &data, const fs::path &folders, const std::string &set, const std::string &prefix,
                 const std::string &split, TerminalProgress &progress)
{
    const auto out = folders / set / split;
    if (fs::exists(out))
        return;
    const auto dir = data / set;
    // Fashion-MNIST's folders carry its class names, so maps and tables say "Sneaker", not "7".
    // MNIST keeps its digits (they are the names) and its order matches the base model's head.
    core::IdxImportOptions options;
    if (set == "fashion-mnist")
        options.classNames = core::knownIdxClassNames(set);
    core::importIdx(findIdx(dir, prefix + "-images-idx3-ubyte"), findIdx(dir, prefix + "-labels-idx1-ubyte"), out,
                    options, progress.sink());
    progress.finish();
}

std::string percent(double v) { return std::isfinite(v) ? std::to_string(100 * v).substr(0, 5) : "  -  "; }

void runDemo(const DemoArgs &args)
{
    const auto cache = cacheRoot(args.cache);
    const auto data = std::getenv("UPSTEP_DATA") ? fs::path(std::getenv("UPSTEP_DATA")) : cache / "data";
    const auto folders = cache / "folders";
    TerminalProgress progress;
    std::cerr << "[1/5] data: " << data.string() << "\n";
    importSplit(data, folders, "mnist", "train", "train", progress);
    importSplit(data, folders, "mnist", "t10k", "test", progress);
    importSplit(data, folders, "fashion-mnist", "train", "train", progress);
    importSplit(data, folders, "fashion-mnist", "t10k", "test", progress);

    const auto base = cache / "models" / "demo-mnist-vit.safetensors";
    if (fs::exists(base)) {
        std::cerr << "[2/5] base model: cached " << base.string() << "\n";
    } else {
        std::cerr << "[2/5] base model: supervised training on MNIST (once; cached afterwards)\n";
        fs::create_directories(base.parent_path());
        core::PretrainConfig pretrain;
        pretrain.data = folders / "mnist" / "train";
        pretrain.test = folders / "mnist" / "test";
        pretrain.arch = kDemoArch;
        pretrain.out = base;
        pretrain.epochs = args.pretrainEpochs;
        pretrain.precision = args.precision;
        pretrain.seed = args.seed;
        const auto s = core::runPretraining(pretrain, progress.sink());
        progress.finish();
        std::cerr << "      MNIST test top-1 of the base head: " << percent(s.testTop1) << " %\n";
    }

    if (args.prepareOnly) {
        std::cerr << "prepared: the workbench opens this demo session (base model and folders above)\n";
        return;
    }

    char stamp[32];
    const auto now = std::time(nullptr);
    std::strftime(stamp, sizeof stamp, "demo-%Y%m%d-%H%M%S", std::localtime(&now));
    const auto run = cache / "runs" / stamp;
    std::cerr << "[3/5] adapting on the unlabeled Fashion-MNIST train images -> " << run.string() << "\n";
    core::TrainConfig config;
    config.weights = base.string();
    config.target = (folders / "fashion-mnist" / "train").string();
    config.sourceProbe = (folders / "mnist" / "test").string();
    config.steps = args.steps;
    config.precision = args.precision;
    config.seed = args.seed;
    core::TrainCallbacks callbacks;
    callbacks.progress = progress.sink();
    const auto summary = core::runAdaptation(config, run, false, callbacks);
    progress.finish();

    std::cerr << "[4/5] evaluating (kNN k=20 T=0.07 and a linear probe; forgetting on MNIST test)\n";
    core::EvalJob eval;
    eval.weights = base;
    eval.adapter = run;
    eval.train = folders / "fashion-mnist" / "train";
    eval.test = folders / "fashion-mnist" / "test";
    eval.sourceTest = folders / "mnist" / "test";
    eval.maxTrain = args.evalTrain;
    eval.maxTest = args.evalTest;
    eval.seed = args.seed;
    eval.precision = args.precision;
    eval.batchSize = 64;
    const auto report = core::runEvaluation(eval, progress.sink());
    progress.finish();
    nlohmann::json result{{"train", core::summaryToJson(summary)}, {"eval", core::evalReportToJson(report)}};
    core::writeJsonAtomically(run / "demo.json", result);

    std::cout << "\n[5/5] UpStep demo: MNIST-trained ViT adapted to Fashion-MNIST (" << summary.steps << " steps, "
              << summary.keptSteps << " back-propagated, " << static_cast<int>(summary.wallSeconds) << " s, "
              << static_cast<int>(summary.imagesPerSecond) << " images/s, " << summary.precision << ")\n\n"
              << "  Fashion-MNIST test top-1 %   kNN      linear\n"
              << "  base                       " << percent(report.base.knnTop1) << "    "
              << percent(report.base.linearTop1) << "\n"
              << "  adapted                    " << percent(report.adapted->knnTop1) << "    "
              << percent(report.adapted->linearTop1) << "\n"
              << "  ensemble                   " << percent(report.ensemble->knnTop1) << "    "
              << percent(report.ensemble->linearTop1) << "\n\n"
              << "  MNIST (forgetting)          base head  kNN\n"
              << "  base features              " << percent(report.source->headTop1Base) << "      "
              << percent(report.source->knnTop1Base) << "\n"
              << "  adapted features           " << percent(report.source->headTop1Adapted) << "      "
              << percent(report.source->knnTop1Adapted) << "\n\n"
              << "  trainable: " << summary.adapterParameters << " adapter parameters of " << summary.totalParameters
              << "; run folder " << run.string() << "\n";
}

} // namespace

void addDemoCommand(CLI::App &app)
{
    auto args = std::make_shared<DemoArgs>();
    auto *cmd = app.add_subcommand("demo", "The docs/DATA.md protocol, headless: import, pretrain on MNIST (cached), "
                                           "adapt on Fashion-MNIST, evaluate, print a table");
    cmd->add_option("--cache", args->cache, "Cache folder (default $UPSTEP_CACHE or ~/.cache/upstep)");
    cmd->add_option("--steps", args->steps, "Adaptation iterations")->capture_default_str();
    cmd->add_option("--pretrain-epochs", args->pretrainEpochs, "MNIST epochs for the base model")->capture_default_str();
    cmd->add_option("--eval-train", args->evalTrain, "Fashion-MNIST train images for kNN memory and probe (0: all)")
        ->capture_default_str();
    cmd->add_option("--eval-test", args->evalTest, "Fashion-MNIST test images (0: all)")->capture_default_str();
    addChoiceOption(*cmd, "--precision", args->precision, "auto, fp32 or bf16");
    cmd->add_option("--seed", args->seed, "Seed")->check(CLI::NonNegativeNumber)->capture_default_str();
    cmd->add_flag("--prepare-only", args->prepareOnly, "Only import the data and train the base model (steps 1-2), "
                                                       "as the workbench's demo session needs");
    cmd->callback([args] { runDemo(*args); });
}

} // namespace upstep::cli
