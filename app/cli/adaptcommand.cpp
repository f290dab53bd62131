#include "commands.h"

#include "choiceoption.h"
#include "stopsignal.h"
#include "upstep/common/error.h"
#include "upstep/common/jsontext.h"
#include "upstep/eval/evaljob.h"
#include "terminalprogress.h"
#include "upstep/train/trainer.h"

#include <nlohmann/json.hpp>

#include <iostream>

namespace upstep::cli {

namespace {

// A path as a shell reads it back: quoted when it holds anything but safe characters.
std::string shellQuoted(const std::string &path)
{
    if (!path.empty() &&
        path.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=") ==
            std::string::npos)
        return path;
    std::string out = "'";
    for (const char c : path)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

/// Options that map onto TrainConfig fields. Only options given on the command line override
/// the config file (or, with --resume, the run's own config.json).
class ConfigOptions {
public:
    template <typename T>
    void add(CLI::App &cmd, const std::string &flags, T core::TrainConfig::*field, const std::string &help)
    {
        auto *option = cmd.add_option(flags, m_values.*field, help)->capture_default_str();
        if constexpr (std::is_unsigned_v<T>)
            option->check(CLI::NonNegativeNumber); // CLI11 would wrap -1 to 2^64 - 1
        if constexpr (std::is_same_v<T, std::vector<std::string>>)
            option->delimiter(',');
        applyWhenGiven(option, field);
    }
    template <typename Enum>
    void addChoice(CLI::App &cmd, const std::string &flags, Enum core::TrainConfig::*field, const std::string &help)
    {
        applyWhenGiven(addChoiceOption(cmd, flags, m_values.*field, help), field);
    }
    void addFlag(CLI::App &cmd, const std::string &flags, bool core::TrainConfig::*field, const std::string &help)
    {
        applyWhenGiven(cmd.add_flag(flags, m_values.*field, help), field);
    }
    void applyGiven(core::TrainConfig &config) const
    {
        for (const auto &[option, apply] : m_apply)
            if (option->count() > 0)
                apply(config, m_values);
    }

private:
    template <typename T>
    void applyWhenGiven(CLI::Option *option, T core::TrainConfig::*field)
    {
        m_apply.emplace_back(option,
                             [field](core::TrainConfig &to, const core::TrainConfig &from) { to.*field = from.*field; });
    }

    core::TrainConfig m_values;
    std::vector<std::pair<CLI::Option *, std::function<void(core::TrainConfig &, const core::TrainConfig &)>>> m_apply;
};

struct AdaptArgs {
    ConfigOptions options;
    std::string out, configFile;
    bool resume = false;
};

void printRecord(const core::MetricsRecord &r)
{
    char line[256];
    // The record of step 0 (and of a window with only skipped iterations) has no loss yet.
    if (std::isfinite(r.loss))
        std::snprintf(line, sizeof line, "step %6lld/%lld  loss %.4f (cluster %.4f, cvr %.5f)",
                      static_cast<long long>(r.step), static_cast<long long>(r.totalSteps), r.loss, r.clusterLoss,
                      r.cvrLoss);
    else
        std::snprintf(line, sizeof line, "step %6lld/%lld  loss -", static_cast<long long>(r.step),
                      static_cast<long long>(r.totalSteps));
    std::string text = line;
    std::snprintf(line, sizeof line,
                  "  drift %.4f  center %.5f  entropy %.2f/%.2f  skipped %.0f%%  lr %.2e  %.0f img/s", r.featureDrift,
                  r.centerDrift, r.clusterEntropy, r.maxEntropy, 100 * r.skippedFraction, r.learningRate,
                  r.imagesPerSecond);
    text += line;
    if (std::isfinite(r.sourceProbeTop1))
        text += "  source top-1 " + std::to_string(r.sourceProbeTop1).substr(0, 5);
    std::cerr << text << "\n";
}

void runAdapt(AdaptArgs &args)
{
    core::TrainConfig config;
    const core::RunPaths paths(args.out);
    if (!args.configFile.empty())
        config = core::loadTrainConfig(args.configFile);
    else if (args.resume && std::filesystem::exists(paths.config()))
        config = core::loadTrainConfig(paths.config());
    else if (args.resume)
        throw core::InputError(args.out + " holds no run to resume (no config.json there); start a run without "
                                          "--resume, or name the run folder you meant");
    args.options.applyGiven(config);

    TerminalProgress progress;
    core::TrainCallbacks callbacks;
    callbacks.progress = progress.sink();
    callbacks.metrics = [&](const core::MetricsRecord &r) {
        progress.finish();
        printRecord(r);
    };
    callbacks.log = [&](const std::string &message) {
        progress.finish();
        std::cerr << message << "\n";
    };
    core::TrainControl control;
    auto &interrupted = stopOnSignals();
    control.stop = &interrupted;
    const auto summary = core::runAdaptation(config, args.out, args.resume, callbacks, control);
    progress.finish();
    std::cout << core::jsonText(core::summaryToJson(summary), 2) << "\n";
    if (summary.status == core::RunStatus::Stopped) {
        std::cerr << "stopped at step " << summary.steps << "; continue with: upstep adapt --out " << args.out
                  << " --resume\n";
        throw core::Cancelled(); // exit 130, so that `adapt && export` does not go on with half a run
    } else
        std::cerr << "adapter: " << summary.adapterFile.string() << "; export it with: upstep export --run "
                  << shellQuoted(args.out) << " --format peft --out ADAPTER_DIR\n";
    if (summary.status == core::RunStatus::Finished && !config.targetTest.empty()) {
        std::cerr << "evaluating on " << config.targetTest << " (kNN memory and probe: a seeded half of it)\n";
        const auto report = core::runEvaluation(core::evalJobForRun(config, args.out), progress.sink(), &interrupted);
        progress.finish();
        core::saveEvalReport(report, paths.evaluation());
        printEvalTable(report);
    }
}

} // namespace

void addAdaptCommand(CLI::App &app)
{
    auto args = std::make_shared<AdaptArgs>();
    auto *cmd = app.add_subcommand("adapt", "Adapt a backbone to an unlabeled image folder with UpStep (LoRA + CVR)");
    auto &o = args->options;
    using C = core::TrainConfig;
    o.add(*cmd, "--weights", &C::weights,
          "Base model weights (.safetensors, a torch.save .pth/.pt state dict, or a Hugging Face model folder)");
    o.add(*cmd, "--arch", &C::arch, "Override architecture detection (see `upstep info --help`)");
    o.add(*cmd, "--target", &C::target, "Unlabeled target image folder (scanned recursively)");
    cmd->add_option("--out", args->out, "Run folder: config.json, metrics.jsonl, checkpoints/, adapter, summary")
        ->required();
    cmd->add_option("--config", args->configFile, "Start from this config.json (options given here override it)")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--resume", args->resume, "Continue the run in --out from its newest checkpoint");
    o.add(*cmd, "--steps", &C::steps, "Iterations (one batch each); wins over --epochs");
    o.add(*cmd, "--epochs", &C::epochs, "Passes over the target folder, when --steps is 0");
    o.add(*cmd, "--batch", &C::batchSize, "Images per batch (two views each)");
    o.add(*cmd, "--lr", &C::learningRate, "AdamW peak learning rate, reached after the warm-up");
    o.addChoice(*cmd, "--lr-schedule", &C::lrSchedule,
                "Learning rate after the warm-up: cosine (decays to zero) or "
                "constant");
    o.add(*cmd, "--seed", &C::seed, "Seed of all randomness: same seed and threads on CPU, same result");
    o.addChoice(*cmd, "--gate", &C::gate,
                "Back-propagation gate: alternate (skips every second iteration), loss-quantile (skips batches of "
                "low loss), center (skips batches whose center-vector term is low) or none");
    o.add(*cmd, "--gate-quantile", &C::gateQuantile,
          "loss-quantile and center: skip batches below this quantile of the recent ones");
    o.addChoice(*cmd, "--cvr-term", &C::cvrTerm,
                "What CVR penalises: anchor (the center's drift from the base model's) or magnitude (its length)");
    o.addChoice(*cmd, "--cvr-space", &C::cvrSpace,
                "Where CVR's center is taken: features (the backbone's pooled features) or head (the projection "
                "head's outputs)");
    o.add(*cmd, "--cvr-lambda", &C::cvrLambda, "Weight of the center-vector term; 0 turns CVR off");
    o.addChoice(*cmd, "--tuning", &C::tuning,
                "lora (adapters on the frozen backbone: the method) or full (every backbone weight trains, no "
                "adapter: a baseline; writes model.safetensors instead of an adapter)");
    o.add(*cmd, "--lora-rank", &C::loraRank, "LoRA rank r");
    o.add(*cmd, "--lora-alpha", &C::loraAlpha, "LoRA alpha (scale alpha / r)");
    o.add(*cmd, "--lora-targets", &C::loraTargets,
          "Layers that get adapters, comma-separated names or name endings as PEFT's target_modules (default: "
          "qkv for a ViT, mlp.fc1,mlp.fc2 for a ConvNeXt, the 3x3 convolutions for a ResNet; `upstep info` lists "
          "them)");
    o.addChoice(*cmd, "--offline", &C::offline, "Target stream: ema (EMA of LoRA + head) or shared (online, no grad)");
    o.add(*cmd, "--prototypes", &C::prototypes, "Number of fixed prototypes K");
    o.addChoice(*cmd, "--prototype-init", &C::prototypeInit,
                "random (seeded directions) or kmeans (k-means of 16 target images per prototype as the base model "
                "sees them)");
    o.add(*cmd, "--small-crops", &C::smallCrops, "Small crops per image, in addition to the two global views");
    o.addFlag(*cmd, "--flip", &C::horizontalFlip, "Allow horizontal flips (off: flips change digits and text)");
    o.add(*cmd, "--source-probe", &C::sourceProbe, "Labeled source folder: live accuracy of the base head (forgetting)");
    o.add(*cmd, "--target-test", &C::targetTest, "Labeled target folder: evaluate base, adapted and ensemble when the "
                                                  "run ends (writes eval.json)");
    o.addChoice(*cmd, "--precision", &C::precision, "auto (bf16 where the hardware has it), fp32 or bf16");
    o.add(*cmd, "--device", &C::device, "auto, cpu, cuda or cuda:N");
    o.add(*cmd, "--workers", &C::workers, "Decoding threads");
    o.addChoice(*cmd, "--decoded-cache", &C::decodedCache,
                "auto: read the target's decoded-image cache when there is one (upstep cache); build: make it "
                "first when missing; off: decode the files");
    o.add(*cmd, "--checkpoint-every", &C::checkpointEvery, "Steps between checkpoints (0: only at stop and end)");
    o.add(*cmd, "--log-every", &C::logEvery, "Steps between metrics records");
    cmd->callback([args] { runAdapt(*args); });
}

} // namespace upstep::cli
