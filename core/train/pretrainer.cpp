#include "upstep/train/pretrainer.h"

#include "upstep/common/error.h"
#include "common/runtime.h"
#include "common/torchcompat.h"
#include "data/imageloader.h"
#include "eval/featureextractor.h"
#include "eval/knnclassifier.h"
#include "upstep/io/imagefolder.h"
#include "models/backboneloader.h"
#include "train/learningrate.h"

#include <chrono>
#include <cmath>
#include <deque>
#include <numeric>

namespace upstep::core {

PretrainSummary runPretraining(const PretrainConfig &config, const ProgressSink &progress, StopFlag stop)
{
    at::init_num_threads();
    if (config.epochs <= 0 || config.batchSize < 2 || config.learningRate <= 0)
        throw InputError("pretraining needs epochs > 0, batch >= 2 and a positive learning rate");
    const auto device = resolveDevice(config.device);
    const auto dtype = resolvePrecision(config.precision, device);
    ScanOptions labeled;
    labeled.withLabels = true;
    const auto folder = scanImageFolder(config.data, labeled, progress, stop);
    if (folder.classNames.size() < 2)
        throw InputError(config.data.string() + ": supervised training needs at least two class sub-folders");

    auto spec = parseArchSpec(config.arch);
    // The folder decides the head's size unless --arch names it.
    if (config.arch.find("num_classes") == std::string::npos)
        spec.numClasses = static_cast<int>(folder.classNames.size());
    if (spec.numClasses != static_cast<int>(folder.classNames.size()))
        throw InputError("--arch asks for " + std::to_string(spec.numClasses) + " classes but " + config.data.string() +
                         " has " + std::to_string(folder.classNames.size()));
    torch::manual_seed(config.seed);
    auto model = createBackbone(spec);
    model->to(device);
    model->train();

    LoaderConfig loaderConfig;
    loaderConfig.batchSize = config.batchSize;
    loaderConfig.shuffle = true;
    loaderConfig.dropLast = true;
    loaderConfig.seed = config.seed;
    loaderConfig.workers = config.workers;
    loaderConfig.preprocessing = spec.preprocessing;
    AugmentConfig augment;
    augment.scaleMin = config.scaleMin;
    augment.jitterProbability = 0.5;
    loaderConfig.augment = augment;
    ImageLoader loader(folder.images, loaderConfig);
    if (loader.batchesPerEpoch() < 1)
        throw InputError(config.data.string() + " holds fewer images than one batch");
    const auto total = std::max<std::int64_t>(1, std::llround(config.epochs * loader.batchesPerEpoch()));

    torch::optim::AdamW optimizer(model->parameters(),
                                  torch::optim::AdamWOptions(config.learningRate).weight_decay(config.weightDecay));
    const auto start = std::chrono::steady_clock::now();
    std::deque<double> recent;
    std::int64_t step = 0, epoch = 0, images = 0;
    loader.startEpoch(epoch);
    while (step < total) {
        if (stopRequested(stop))
            throw Cancelled();
        auto batch = loader.next();
        if (!batch) {
            loader.startEpoch(++epoch);
            continue;
        }
        for (auto &group : optimizer.param_groups())
            static_cast<torch::optim::AdamWOptions &>(group.options())
                .lr(cosineWithWarmup(step, total, config.learningRate, config.warmupFraction));
        torch::Tensor logits;
        {
            compat::AutocastGuard autocast(device, dtype);
            logits = model->logits(batch->images.to(device)).to(torch::kFloat32);
        }
        auto loss = torch::nn::functional::cross_entropy(logits, batch->labels.to(device));
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
        optimizer.step();
        images += batch->images.size(0);
        ++step;
        if (step % 10 == 0 || step == total) {
            const double value = loss.item<double>();
            if (!std::isfinite(value))
                throw Error("pretraining diverged (loss " + std::to_string(value) + " at step " + std::to_string(step) +
                            "); lower the learning rate");
            recent.push_back(value);
            if (recent.size() > 5)
                recent.pop_front();
        }
        if (progress)
            progress({"pretraining", step, total, "steps"});
    }
    loader.stop();
    model->eval();

    PretrainSummary summary;
    summary.steps = step;
    summary.finalLoss = std::accumulate(recent.begin(), recent.end(), 0.0) / std::max<std::size_t>(recent.size(), 1);
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    summary.imagesPerSecond = images / std::max(summary.seconds, 1e-9);
    summary.classes = folder.classNames;
    if (!config.test.empty()) {
        const auto testFolder = scanImageFolder(config.test, labeled, progress, stop);
        if (testFolder.classNames != folder.classNames)
            throw InputError(config.test.string() + " has other class folders than " + config.data.string());
        FeatureOptions options;
        options.device = device;
        options.dtype = dtype;
        options.loaderWorkers = config.workers;
        auto features = extractFeatures(*model, testFolder.images, options, progress, stop);
        std::vector<std::int64_t> labels;
        for (std::size_t i = 0; i < features.images.size(); ++i)
            labels.push_back(features.images.label(i));
        compat::InferenceGuard inference;
        const auto logits = model->headForward(features.features.to(device, dtype));
        summary.testTop1 = top1Accuracy(logits.argmax(1).to(torch::kCPU), torch::tensor(labels, torch::kInt64));
    }
    model->to(torch::kCPU, torch::kFloat32);
    std::string classes;
    for (const auto &name : folder.classNames)
        classes += (classes.empty() ? "" : ",") + name;
    saveBackbone(*model, config.out, {{"upstep.classes", classes}, {"upstep.pretrained_on", config.data.string()}});
    return summary;
}

} // namespace upstep::core
