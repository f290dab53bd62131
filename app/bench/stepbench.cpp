// `upstep-bench-step`: times one UpStep iteration, kept (forward, loss, backward, AdamW, EMA)
// and skipped (forward under no-grad, center update), per precision, on random inputs. It drives
// core's AdaptationStep, the code the trainer runs. Prints one JSON object per line.
#include "upstep/common/hardware.h"
#include "common/runtime.h"
#include "models/lora.h"
#include "models/backboneloader.h"
#include "train/adaptationstep.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>

namespace {

using namespace upstep::core;

void synchronize(const torch::Device &device)
{
    if (device.is_cuda())
        torch::cuda::synchronize();
}

template <typename Fn>
double secondsPerCall(const torch::Device &device, int warmup, int iterations, Fn &&fn)
{
    for (int i = 0; i < warmup; ++i)
        fn(i);
    synchronize(device);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i)
        fn(warmup + i);
    synchronize(device);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / iterations;
}

} // namespace

int main(int argc, char **argv)
{
    preferPassiveOpenMpWaiting(argv); // as the product runs; OMP_WAIT_POLICY=ACTIVE to compare
    CLI::App app{"Per-iteration cost of UpStep's kept and skipped iterations"};
    std::string arch = "vit_small_patch16_224", device = "cpu", offline = "ema";
    std::vector<std::string> precisions{"fp32", "bf16"};
    int batch = 32, iterations = 5, warmup = 2, threads = 0;
    app.add_option("--arch", arch, "Architecture preset or NAME,key=value...")->capture_default_str();
    app.add_option("--batch", batch, "Images per batch (two 224 px views each)")->capture_default_str();
    app.add_option("--iterations", iterations, "Timed iterations of each kind")->capture_default_str();
    app.add_option("--warmup", warmup, "Untimed iterations first")->capture_default_str();
    app.add_option("--device", device, "cpu, cuda or auto")->capture_default_str();
    app.add_option("--precision", precisions, "Precisions to time")->capture_default_str();
    app.add_option("--offline", offline, "ema or shared")->check(CLI::IsMember(choiceNames<OfflineStream>()))->capture_default_str();
    app.add_option("--threads", threads, "Torch threads (0: all cores)")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    try {
        configureThreads(threads);
        const auto dev = resolveDevice(device);
        for (const auto &name : precisions) {
            const auto dtype = resolvePrecision(choiceFromName<Precision>(name), dev);
            torch::manual_seed(0);
            auto backbone = createBackbone(parseArchSpec(arch));
            injectLora(*backbone, {});
            TrainConfig config;
            config.batchSize = batch;
            config.offline = choiceFromName<OfflineStream>(offline);
            const auto &p = backbone->spec().preprocessing;
            AdaptationStep step(backbone, config, torch::zeros({2, backbone->featureDim()}), dev, dtype);
            std::vector<torch::Tensor> views;
            for (int v = 0; v < 2; ++v)
                views.push_back(torch::randn({batch, backbone->spec().inChans, p.inputSize, p.inputSize}).to(dev));
            const double kept = secondsPerCall(dev, warmup, iterations, [&](int i) {
                step.kept(i, warmup + iterations, views, {}, 1e-4);
            });
            const double skipped = secondsPerCall(dev, warmup, iterations, [&](int) { step.skipped(views); });
            std::cout << nlohmann::json{{"impl", "upstep"},
                                        {"arch", arch},
                                        {"device", dev.str()},
                                        {"precision", choiceName(precisionOf(dtype))},
                                        {"batch", batch},
                                        {"offline", offline},
                                        {"threads", torch::get_num_threads()},
                                        {"kept_s", kept},
                                        {"skipped_s", skipped},
                                        {"skipped_over_kept", skipped / kept},
                                        {"torch", torchBuildInfo()}}
                             .dump()
                      << std::endl;
        }
    } catch (const std::exception &e) {
        std::cerr << "upstep-bench-step: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
