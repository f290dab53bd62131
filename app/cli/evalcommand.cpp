#include "commands.h"

#include "adaptercheck.h"
#include "choiceoption.h"
#include "upstep/common/jsontext.h"
#include "upstep/eval/evaljob.h"
#include "terminalprogress.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace upstep::cli {

namespace {

struct EvalArgs {
    core::EvalJob request;
    std::string weights, adapter, train, test, sourceTest;
    std::string device = "auto";
    core::Precision precision = core::Precision::Auto;
    int batch = 128;
    bool json = false;
    bool noLinear = false;
};

/// 100 * value in printf's format ("%.2f", "%+.1f"), or "-" when value is not a number.
std::string asPercent(double value, const char *format)
{
    if (!std::isfinite(value))
        return "-";
    char text[16];
    std::snprintf(text, sizeof text, format, 100 * value);
    return text;
}

std::string percent(double value) { return asPercent(value, "%.2f"); }
std::string signedPoints(double value) { return asPercent(value, "%+.1f"); }

/// One row per class: images, base and adapted top-1 %, and the change in points (after minus
/// before for a gain, before minus after for a drop).
void printClassTable(const std::vector<core::ClassScores> &classes, const char *changeName, bool changeIsDrop)
{
    std::size_t width = 5;
    for (const auto &c : classes)
        width = std::max(width, c.name.size());
    const auto pad = [](const std::string &text, std::size_t n) {
        return text + std::string(n > text.size() ? n - text.size() : 0, ' ');
    };
    std::cout << "  " << pad("class", width) << "  images  base   adapted  " << changeName << "\n";
    for (const auto &c : classes) {
        const double change = changeIsDrop ? c.base - c.adapted : c.adapted - c.base;
        std::cout << "  " << pad(c.name, width) << "  " << pad(std::to_string(c.images), 6) << "  "
                  << pad(percent(c.base), 5) << "  " << pad(percent(c.adapted), 7) << "  " << signedPoints(change)
                  << "\n";
    }
}

void runEval(EvalArgs &args)
{
    auto &request = args.request;
    request.weights = args.weights;
    request.adapter = args.adapter;
    request.train = args.train;
    request.test = args.test;
    request.sourceTest = args.sourceTest;
    request.device = args.device;
    request.precision = args.precision;
    request.batchSize = args.batch;
    request.linearProbe = !args.noLinear;
    if (!args.adapter.empty())
        warnOnBaseMismatch(args.adapter, args.weights);
    TerminalProgress progress;
    const auto report = core::runEvaluation(request, progress.sink(), nullptr, [&](const core::EvalCostEstimate &e) {
        progress.finish();
        std::cerr << "estimate: " << core::describeEvalCost(e)
                  << " (the feature passes' time: the ETA of the progress line)\n";
    });
    progress.finish();
    if (args.json)
        std::cout << core::jsonText(core::evalReportToJson(report), 2) << "\n";
    else
        printEvalTable(report);
}

} // namespace

void printEvalTable(const core::EvalReport &r)
{
    std::cout << "Target (" << r.trainImages << " train / " << r.testImages << " test images), top-1 %\n"
              << "              kNN     linear\n";
    const auto row = [](const char *name, const core::ProbeScores &s) {
        std::cout << "  " << name << std::string(12 - std::string(name).size(), ' ') << percent(s.knnTop1)
                  << "   " << percent(s.linearTop1) << "\n";
    };
    row("base", r.base);
    if (r.adapted)
        row("adapted", *r.adapted);
    if (r.ensemble)
        row("ensemble", *r.ensemble);
    if (r.source) {
        std::cout << "Source (" << r.source->images << " images), top-1 %: base head on base features "
                  << percent(r.source->headTop1Base) << ", on adapted features " << percent(r.source->headTop1Adapted)
                  << "; kNN " << percent(r.source->knnTop1Base) << " -> " << percent(r.source->knnTop1Adapted) << "\n";
    }
    if (!r.perClass.empty()) {
        std::cout << "Target by class, kNN top-1 % (gain in points)\n";
        printClassTable(r.perClass, "gain", false);
    }
    if (r.source && !r.source->perClass.empty()) {
        std::cout << "Source by class, " << (r.source->perClassFromHead ? "base head" : "kNN")
                  << " top-1 % (drop in points: forgetting)\n";
        printClassTable(r.source->perClass, "drop", true);
    }
}

void addEvalCommand(CLI::App &app)
{
    auto args = std::make_shared<EvalArgs>();
    auto *cmd = app.add_subcommand("eval", "kNN and linear-probe accuracy of base, adapted and ensemble features, "
                                           "and forgetting on a source test set");
    cmd->add_option(
           "--weights", args->weights,
           "Base model weights (.safetensors, a torch.save .pth/.pt state dict, or a Hugging Face model folder)")
        ->required()
        ->check(CLI::ExistingPath);
    cmd->add_option("--arch", args->request.arch, "Override architecture detection");
    cmd->add_option("--adapter", args->adapter, "Run folder, PEFT adapter folder or adapter .safetensors")
        ->check(CLI::ExistingPath);
    cmd->add_option("--train", args->train, "Labeled folder (one sub-folder per class): kNN memory, probe training "
                                            "(default: a seeded half of --test, the other half is scored)")
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--test", args->test, "Labeled folder with the same classes: reported accuracy")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--source-test", args->sourceTest, "Labeled source-domain folder: forgetting")
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--max-train", args->request.maxTrain, "Seeded subset of the train folder (0: all)")->capture_default_str();
    cmd->add_option("--max-test", args->request.maxTest, "Seeded subset of the test folder (0: all)")->capture_default_str();
    cmd->add_option("--max-source", args->request.maxSource, "Seeded subset of the source folder (0: all)")->capture_default_str();
    cmd->add_option("--seed", args->request.seed, "Seed of the subsets and the source split")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--batch", args->batch, "Images per batch")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--device", args->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
    addChoiceOption(*cmd, "--precision", args->precision, "auto, fp32 or bf16 (features are compared in float32)");
    cmd->add_flag("--no-linear", args->noLinear, "Skip the linear probe (kNN only)");
    cmd->add_flag("--json", args->json, "Print the report as JSON");
    cmd->callback([args] { runEval(*args); });
}

} // namespace upstep::cli
